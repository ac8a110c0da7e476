/** tc handles and parents: "root", "1:", "1:10", "ffff:fff1" (hex, as tc prints them). */
import { UsageError } from '../errors.js';

export const TC_H_ROOT = 0xffffffff;
export const TC_H_UNSPEC = 0;

export function parseHandle(text: string, what = 'handle'): number {
  const value = text.trim().toLowerCase();
  if (value === 'root') return TC_H_ROOT;
  if (value === 'none' || value === '0' || value === '0:') return TC_H_UNSPEC;
  const match = /^([0-9a-f]{1,4}):([0-9a-f]{0,4})$/.exec(value);
  if (!match) {
    throw new UsageError(`invalid ${what} '${text}': expected MAJOR: or MAJOR:MINOR in hex (e.g. 1: or 1:10), or root`);
  }
  const major = Number.parseInt(match[1] ?? '0', 16);
  const minor = match[2] ? Number.parseInt(match[2], 16) : 0;
  return ((major << 16) | minor) >>> 0;
}

export function formatHandle(handle: number): string {
  if (handle === TC_H_ROOT) return 'root';
  if (handle === TC_H_UNSPEC) return '0:';
  const major = (handle >>> 16).toString(16);
  const minor = handle & 0xffff;
  return minor === 0 ? `${major}:` : `${major}:${minor.toString(16)}`;
}

/** A qdisc handle has no minor part; a parent may be root or a class. */
export function assertQdiscHandle(handle: number, text: string): void {
  if (handle === TC_H_ROOT || (handle & 0xffff) !== 0) {
    throw new UsageError(`invalid handle '${text}': a qdisc handle is MAJOR: with no minor part (e.g. 51:)`);
  }
}
