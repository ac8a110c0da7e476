/**
 * Shared set-up of the native tests: the addon, the repository root, and
 * private network namespaces that are always deleted again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/native/loadNative.js';
import type { NativeAddon, NativeErrorFields } from '../../src/native/AddonTypes.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const addonPath = join(repoRoot, 'build', 'Release', 'qplug_native.node');

export const TC_H_ROOT = 0xffffffff;

export function addon(): NativeAddon {
  return loadNative();
}

/** Runs a command and returns its stdout; throws with its stderr on failure. */
export function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Inode of the network namespace the calling (JS) thread is in. */
export function ownNetnsInode(): number {
  return statSync('/proc/thread-self/ns/net').ino;
}

/** A named network namespace of our own (ip netns add), for one test file. */
export class PrivateNetns {
  readonly name = `qplug-nt-${randomBytes(4).toString('hex')}`;
  readonly path = `/run/netns/${this.name}`;
  private created = false;

  create(): this {
    run('ip', ['netns', 'add', this.name]);
    this.created = true;
    return this;
  }

  /** Runs a command inside the namespace. */
  exec(command: string, args: string[]): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  /** Deletes the namespace; safe to call twice, or when create() failed. */
  destroy(): void {
    if (!this.created) return;
    this.created = false;
    run('ip', ['netns', 'delete', this.name]);
  }
}

/**
 * Creates a namespace and runs setUp in it; if setUp throws, the namespace is
 * deleted before the error propagates (afterAll would not know about it).
 */
export function createNetns(setUp: (netns: PrivateNetns) => void = () => {}): PrivateNetns {
  const netns = new PrivateNetns().create();
  try {
    setUp(netns);
  } catch (error) {
    netns.destroy();
    throw error;
  }
  return netns;
}

/** Settles a promise into the error it rejected with; fails if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<Error & NativeErrorFields> {
  try {
    await promise;
  } catch (error) {
    return error as Error & NativeErrorFields;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The error a synchronous call threw; fails if it returned. */
export function thrown(call: () => unknown): Error & NativeErrorFields {
  try {
    call();
  } catch (error) {
    return error as Error & NativeErrorFields;
  }
  throw new Error('expected the call to throw, but it returned');
}

export const isRoot = process.getuid?.() === 0;

/** Whether this kernel knows the plug qdisc (asked in a throwaway namespace). */
export const hostHasSchPlug = spawnSync('unshare', ['-rn', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'plug'], { stdio: 'ignore' }).status === 0;
/** Whether this kernel knows the prio qdisc (asked in a throwaway namespace). */
export const hostHasSchPrio = spawnSync('unshare', ['-rn', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'prio'], { stdio: 'ignore' }).status === 0;
