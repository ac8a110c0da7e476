/**
 * Refuse to freeze the interface that carries the default route of the
 * initial network namespace: the user would cut their own session.
 */
import { readFileSync } from 'node:fs';
import { RefusedError } from '../errors.js';
import { initialNetnsInode } from './netns.js';

/** Devices with an IPv4 or IPv6 default route in the initial namespace (read through PID 1). */
export function defaultRouteDevices(procRoot = '/proc/1/net'): Set<string> {
  const devices = new Set<string>();
  try {
    // Iface Destination Gateway Flags ... Mask: destination and mask 00000000 = default.
    for (const line of readFileSync(`${procRoot}/route`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && f[0]) devices.add(f[0]);
    }
  } catch {
    // No IPv4: nothing to guard there.
  }
  try {
    // dst dst_len src src_len nexthop metric refcnt use flags dev
    for (const line of readFileSync(`${procRoot}/ipv6_route`, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 10 && /^0{32}$/.test(f[0] ?? '') && f[1] === '00' && f[9] && f[9] !== 'lo') devices.add(f[9]);
    }
  } catch {
    // No IPv6.
  }
  return devices;
}

export function assertNotDefaultRoute(dev: string, netnsInode: number, force: boolean): void {
  if (force) return;
  const initial = initialNetnsInode();
  if (initial === null || initial !== netnsInode) return;
  if (defaultRouteDevices().has(dev)) {
    throw new RefusedError(
      `refusing to freeze ${dev}: it carries the default route of the initial network namespace, so freezing it could cut your own session: pass --force if you mean it, or work in a private namespace (--netns, or \`unshare -rn\`)`,
    );
  }
}
