/**
 * Match expressions for selective plugs, compiled to u32 keys the way tc
 * compiles `match ip ...`: 32-bit value/mask pairs at 4-byte-aligned offsets
 * from the IPv4 header. Ports and flags sit at fixed offsets, which assumes an
 * IP header without options, so those matches also require IHL = 5.
 *
 *   tcp dport 8080 syn        new TCP connections to port 8080
 *   udp src 10.0.0.0/8        UDP from 10/8
 *   icmp dst 192.0.2.7        pings to one host
 */
import { UsageError } from '../errors.js';

export const ETH_P_IP = 0x0800;

export interface U32Key {
  value: number;
  mask: number;
  offset: number;
}

export interface CompiledMatch {
  /** The expression, normalised (what status shows). */
  text: string;
  /** Ethertype the filter applies to. */
  protocol: number;
  /** All must match. Sorted by offset, one per offset. */
  keys: U32Key[];
}

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

function parsePort(token: string | undefined, word: string): number {
  if (token === undefined || !/^\d{1,5}$/.test(token) || Number(token) > 65535) {
    throw new UsageError(`invalid match: '${word}' needs a port from 0 to 65535, got ${token === undefined ? 'nothing' : `'${token}'`}`);
  }
  return Number(token);
}

function parsePrefix(token: string | undefined, word: string): { address: number; mask: number; text: string } {
  const m = token === undefined ? null : /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(token);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const length = m?.[5] === undefined ? 32 : Number(m[5]);
  if (!m || octets.some((o) => o > 255) || length > 32) {
    throw new UsageError(`invalid match: '${word}' needs an IPv4 address or prefix such as 10.0.0.1 or 10.0.0.0/8, got ${token === undefined ? 'nothing' : `'${token}'`}`);
  }
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const address = (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0) & mask;
  const canonical = [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
  return { address: address >>> 0, mask, text: length === 32 ? canonical : `${canonical}/${length}` };
}

const WORDS = ['tcp', 'udp', 'icmp', 'sport', 'dport', 'src', 'dst', 'syn', 'and'];

function suggest(word: string): string {
  const close = WORDS.find((w) => w.startsWith(word.slice(0, 2)) || word.startsWith(w.slice(0, 3)));
  return close ? ` (did you mean '${close}'?)` : '';
}

export function compileMatch(expression: string): CompiledMatch {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new UsageError("invalid match: empty expression: e.g. 'tcp dport 8080 syn'");
  }
  const tokens = expression.trim().toLowerCase().split(/\s+/);
  let proto: string | undefined;
  let sport: number | undefined;
  let dport: number | undefined;
  let src: ReturnType<typeof parsePrefix> | undefined;
  let dst: ReturnType<typeof parsePrefix> | undefined;
  let syn = false;
  const once = (seen: unknown, word: string) => {
    if (seen !== undefined && seen !== false) throw new UsageError(`invalid match: '${word}' given twice in '${expression}'`);
  };
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!;
    switch (word) {
      case 'and':
        break;
      case 'tcp':
      case 'udp':
      case 'icmp':
        once(proto, 'protocol');
        proto = word;
        break;
      case 'sport':
        once(sport, word);
        sport = parsePort(tokens[++i], word);
        break;
      case 'dport':
        once(dport, word);
        dport = parsePort(tokens[++i], word);
        break;
      case 'src':
        once(src, word);
        src = parsePrefix(tokens[++i], word);
        break;
      case 'dst':
        once(dst, word);
        dst = parsePrefix(tokens[++i], word);
        break;
      case 'syn':
        once(syn, word);
        syn = true;
        break;
      default:
        throw new UsageError(`invalid match: unknown word '${word}'${suggest(word)}: use tcp|udp|icmp, sport N, dport N, src A[/N], dst A[/N], syn`);
    }
  }
  if ((sport !== undefined || dport !== undefined) && proto !== 'tcp' && proto !== 'udp') {
    throw new UsageError(`invalid match: ports need 'tcp' or 'udp' in '${expression}'`);
  }
  if (syn && proto !== 'tcp') throw new UsageError(`invalid match: 'syn' needs 'tcp' in '${expression}'`);

  const keys = new Map<number, U32Key>();
  const add = (offset: number, value: number, mask: number) => {
    const prev = keys.get(offset) ?? { offset, value: 0, mask: 0 };
    keys.set(offset, { offset, value: (prev.value | (value & mask)) >>> 0, mask: (prev.mask | mask) >>> 0 });
  };
  if (sport !== undefined || dport !== undefined || syn) add(0, 0x05000000, 0x0f000000); // IHL = 5
  if (proto) add(8, PROTOCOLS[proto]! << 16, 0x00ff0000);
  if (src) add(12, src.address, src.mask);
  if (dst) add(16, dst.address, dst.mask);
  if (sport !== undefined) add(20, (sport << 16) >>> 0, 0xffff0000);
  if (dport !== undefined) add(20, dport, 0x0000ffff);
  if (syn) add(32, TCP_SYN << 16, (TCP_SYN | TCP_ACK) << 16); // SYN set, ACK clear

  const text = [
    proto,
    src && `src ${src.text}`,
    dst && `dst ${dst.text}`,
    sport !== undefined && `sport ${sport}`,
    dport !== undefined && `dport ${dport}`,
    syn && 'syn',
  ].filter(Boolean).join(' ');
  return { text: text || 'ip', protocol: ETH_P_IP, keys: [...keys.values()].filter((k) => k.mask !== 0).sort((a, b) => a.offset - b.offset) };
}
