/** host:port and [v6]:port, as the config file and the flags write them. */
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export interface AddressRules {
  /** Bind addresses: port 0 (ephemeral) and a missing/`*` host (every IPv4 address). */
  bind: boolean;
}

/** The address, or a string saying what is wrong and what to do. */
export function parseAddress(text: string, rules: AddressRules): HostPort | string {
  const example = rules.bind ? '127.0.0.1:8080' : '127.0.0.1:9000';
  const bracketed = /^\[([^\]]*)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]*):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) {
    if (/^\d+$/.test(text)) return `'${text}' has no host (write host:port, e.g. 127.0.0.1:${text})`;
    if (text.includes(':') && !text.startsWith('[') && isIP(text.slice(0, text.lastIndexOf(':'))) === 6) {
      return `'${text}' looks like IPv6 without brackets (write [v6]:port, e.g. "[::1]:8080", quoted in YAML)`;
    }
    return `'${text}' is not host:port (write e.g. ${example}, or "[::1]:8080" for IPv6)`;
  }
  let host = match[1] ?? '';
  const port = Number(match[2]);
  if (bracketed && isIP(host) !== 6) return `'${host}' in brackets is not an IPv6 address (write e.g. "[::1]:8080")`;
  if (!bracketed && (host === '' || host === '*')) {
    if (!rules.bind) return `'${text}' has no host (write the server's IP address, e.g. ${example})`;
    host = '0.0.0.0';
  }
  if (!bracketed && isIP(host) !== 4) {
    return `'${host}' is not an IP address (write an IPv4 or [IPv6] literal; the proxy does not resolve names${host === 'localhost' ? ': use 127.0.0.1' : ''})`;
  }
  const minPort = rules.bind ? 0 : 1;
  if (port < minPort || port > 65535) {
    return `port ${port} is out of range (use ${minPort}..65535${rules.bind ? '; 0 picks a free port' : ''})`;
  }
  return { host, port };
}

/** How to write an address back: IPv6 in brackets. */
export function formatAddress({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
