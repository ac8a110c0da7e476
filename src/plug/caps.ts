import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12;

/** Whether CapEff (from /proc/self/status) holds CAP_NET_ADMIN. */
export function hasCapNetAdmin(statusText = readFileSync('/proc/self/status', 'utf8')): boolean {
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!match?.[1]) return false;
  return (BigInt(`0x${match[1]}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
}
