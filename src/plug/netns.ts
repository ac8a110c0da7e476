/** Network namespaces given by name (/run/netns/NAME) or by path (/proc/PID/ns/net). */
import { existsSync, statSync } from 'node:fs';
import { NotFoundError, UsageError } from '../errors.js';

export interface NetnsRef {
  /** File to setns() into, or null for the caller's own namespace. */
  path: string | null;
  /** What the user called it: the name, the path, or null. */
  label: string | null;
}

export const NETNS_RUN_DIR = '/run/netns';

/** The file for a namespace name (/run/netns/NAME) or path. */
export function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `${NETNS_RUN_DIR}/${netns}`;
}

export function resolveNetns(netns: string | undefined | null): NetnsRef {
  if (netns === undefined || netns === null || netns === '') return { path: null, label: null };
  if (netns.includes('\0')) throw new UsageError('invalid network namespace: the name contains a NUL byte');
  const path = netnsPath(netns);
  if (!netns.includes('/') && (netns === '.' || netns === '..')) {
    throw new UsageError(`invalid network namespace name '${netns}'`);
  }
  if (!existsSync(path)) {
    throw new NotFoundError(
      'E_NO_NETNS',
      `no network namespace '${netns}' (${path} does not exist): list them with \`ip netns list\`, or give a path such as /proc/PID/ns/net`,
      { details: { netns, path } },
    );
  }
  return { path, label: netns };
}

/** Inode of the initial network namespace (PID 1's), or null when unreadable. */
export function initialNetnsInode(): number | null {
  try {
    return statSync('/proc/1/ns/net').ino;
  } catch {
    return null;
  }
}

export function describeNetns(ref: NetnsRef): string {
  return ref.label === null ? 'the current network namespace' : `network namespace '${ref.label}'`;
}
