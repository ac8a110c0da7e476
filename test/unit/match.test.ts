import { describe, expect, it } from 'vitest';
import { compileMatch, ETH_P_IP } from '../../src/plug/match.js';
import { UsageError } from '../../src/errors.js';

const hex = (n: number) => n.toString(16).padStart(8, '0');
const keysOf = (expr: string) => compileMatch(expr).keys.map((k) => `${hex(k.value)}/${hex(k.mask)} at ${k.offset}`);

describe('match expressions → u32 keys (as tc prints them)', () => {
  it('tcp dport 8080 syn: IHL 5, protocol 6, dport, SYN without ACK', () => {
    const m = compileMatch('tcp dport 8080 syn');
    expect(m.protocol).toBe(ETH_P_IP);
    expect(m.text).toBe('tcp dport 8080 syn');
    expect(keysOf('tcp dport 8080 syn')).toEqual([
      '05000000/0f000000 at 0',
      '00060000/00ff0000 at 8',
      '00001f90/0000ffff at 20',
      '00020000/00120000 at 32',
    ]);
  });
  it('merges sport and dport into one key at offset 20', () => {
    expect(keysOf('udp sport 53 dport 5353')).toEqual(['05000000/0f000000 at 0', '00110000/00ff0000 at 8', '003514e9/ffffffff at 20']);
  });
  it('addresses and prefixes, host bits cleared', () => {
    expect(keysOf('src 10.1.2.3')).toEqual(['0a010203/ffffffff at 12']);
    expect(keysOf('dst 10.1.2.3/8')).toEqual(['0a000000/ff000000 at 16']);
    expect(compileMatch('dst 10.1.2.3/8').text).toBe('dst 10.0.0.0/8');
    expect(keysOf('icmp dst 0.0.0.0/0')).toEqual(['00010000/00ff0000 at 8']);
  });
  it('normalises order and case; "and" is allowed', () => {
    expect(compileMatch('SYN and dport 80 and TCP').text).toBe('tcp dport 80 syn');
  });
  it('rejects nonsense with one clear line', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty expression/],
      ['tcp dport', /needs a port/],
      ['tcp dport 70000', /needs a port/],
      ['dport 80', /ports need 'tcp' or 'udp'/],
      ['udp syn', /'syn' needs 'tcp'/],
      ['tcp dprot 80', /unknown word 'dprot' \(did you mean 'dport'\?\)/],
      ['src 300.1.1.1', /IPv4 address/],
      ['dst 10.0.0.0/33', /IPv4 address/],
      ['tcp udp', /given twice/],
    ];
    for (const [expr, why] of bad) {
      expect(() => compileMatch(expr), expr).toThrowError(UsageError);
      expect(() => compileMatch(expr), expr).toThrowError(why);
    }
  });
});
