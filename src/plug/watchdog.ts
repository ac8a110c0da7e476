/**
 * The dead-man release. Every freeze carries a deadline in its state record;
 * a detached watchdog process, started with the freeze and outliving whoever
 * started it, releases the plug when the deadline passes. So `kill -9` of
 * any qplug process cannot leave traffic frozen.
 *
 * One watchdog per plug: it polls the record, releases at the deadline,
 * detaches a temporary plug whose owner died, and exits when the record is
 * gone or the plug has passed traffic for IDLE_EXIT_MS.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, packageRoot } from '../native/loadNative.js';
import type { NativeRouteSocket } from '../native/AddonTypes.js';
import { readRecord, removeRecord, writeRecord, type PlugRecord } from './state.js';
import { removeLayout } from './attach.js';
import { netnsPath } from './netns.js';

const POLL_MS = 50;
const IDLE_EXIT_MS = 60_000;
const HARD_EXIT_MS = 7 * 24 * 3600_000;

/** A live watchdog, not just any process that reused its PID. */
export function isWatchdogAlive(pid: number | null | undefined): boolean {
  if (!isAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('--watch') && argv.some((a) => a.endsWith('watchdog.js'));
  } catch {
    return false;
  }
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The compiled entry: the watchdog always runs from dist/ (also under vitest). */
export function watchdogEntry(): string {
  return join(packageRoot(), 'dist', 'plug', 'watchdog.js');
}

/** Start a watchdog for the record unless a live one exists; returns its PID. */
export function ensureWatchdog(record: PlugRecord): number {
  if (record.watchdogPid && record.watchdogPid !== process.pid && isWatchdogAlive(record.watchdogPid)) return record.watchdogPid;
  const entry = watchdogEntry();
  if (!existsSync(entry)) throw new Error(`the watchdog ${entry} is not built: run \`npm run build\``);
  // null: the watchdog starts in this process's namespace, the record's own.
  const netns = record.netns === null ? null : netnsPath(record.netns);
  const child = spawn(process.execPath, [entry, '--watch', String(record.netnsInode), String(record.ifindex), netns ?? '-'], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  child.unref();
  if (!child.pid) throw new Error('the watchdog process could not be started');
  return child.pid;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Write only if nobody changed the record since we read it (best effort CAS). */
function replaceIfUnchanged(read: PlugRecord, next: PlugRecord): boolean {
  const now = readRecord(read.netnsInode, read.ifindex);
  if (!now || now.since !== read.since || now.state !== read.state || now.deadline !== read.deadline) return false;
  writeRecord(next);
  return true;
}

async function teardownTemporary(socket: NativeRouteSocket, record: PlugRecord): Promise<void> {
  // Nobody is left to tell: a plug or device that is already gone is fine.
  await removeLayout(socket, record, { drainTimeoutMs: 2000 }).catch(() => undefined);
  removeRecord(record.netnsInode, record.ifindex);
}

export async function watch(netnsInode: number, ifindex: number, netnsPath: string | null): Promise<void> {
  const addon = loadNative();
  const socket = new addon.RouteSocket(netnsPath === null ? {} : { netns: netnsPath });
  const started = Date.now();
  let passingSince = Date.now();
  try {
    if (socket.netnsInode !== netnsInode) return; // not the namespace the record is about
    while (Date.now() - started < HARD_EXIT_MS) {
      const record = readRecord(netnsInode, ifindex);
      if (!record) return;
      if (record.watchdogPid && record.watchdogPid !== process.pid && isWatchdogAlive(record.watchdogPid)) return;
      if (record.ownerPid && !isAlive(record.ownerPid)) {
        await teardownTemporary(socket, record);
        return;
      }
      if (record.state === 'buffering' && typeof record.deadline === 'number' && Date.now() >= record.deadline) {
        // Record first, kernel second (as buffer() does): a reader that sees
        // traffic flow also sees pass-through, and a freeze someone renewed
        // since our read (the swap fails) is left alone.
        const released: PlugRecord = { ...record, state: 'pass-through', since: Date.now(), deadline: null, releasedBy: 'watchdog', pid: process.pid };
        if (replaceIfUnchanged(record, released)) {
          try {
            await socket.changePlug(record.ifindex, record.parent, record.handle, 'release_indefinite', 0);
          } catch (error) {
            if ((error as { code?: string }).code === 'ENOENT' || (error as { code?: string }).code === 'ENODEV') {
              removeRecord(netnsInode, ifindex); // the plug or the device is gone
              return;
            }
            // Still frozen: say so and try again next round; giving up would leave it frozen.
            replaceIfUnchanged(released, record);
          }
        }
        await sleep(POLL_MS);
        continue;
      }
      if (record.state === 'buffering') passingSince = Date.now();
      else if (!record.ownerPid && Date.now() - passingSince > IDLE_EXIT_MS) {
        // Say we are gone, so the next freeze starts a new watchdog.
        if (record.watchdogPid === process.pid) replaceIfUnchanged(record, { ...record, watchdogPid: null });
        return;
      }
      await sleep(POLL_MS);
    }
  } finally {
    socket.close();
  }
}

if (process.argv[2] === '--watch' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [inode, index, ns] = process.argv.slice(3);
  await watch(Number(inode), Number(index), ns && ns !== '-' ? ns : null).catch(() => {
    process.exitCode = 1;
  });
}
