/**
 * The kernel cannot dump a plug qdisc's state (sch_plug has no .dump), so
 * qplug records what it set, per network namespace and device, in files any
 * later qplug process can read. /run is wiped at boot, as qdiscs are.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type PlugState = 'pass-through' | 'buffering';

export interface PreviousQdisc {
  kind: string;
  handle: number;
}

export interface PlugRecord {
  version: 1;
  dev: string;
  ifindex: number;
  /** The namespace as the user named it (name or path), or null for the initial/current one. */
  netns: string | null;
  netnsInode: number;
  handle: number;
  parent: number;
  state: PlugState;
  /** Bytes; null means the kernel default (tx_queue_len * MTU). */
  limitBytes: number | null;
  /** When the current state was set (ms since the epoch). */
  since: number;
  attachedAt: number;
  /** What sat at this parent before attach; detach puts it back. */
  previous: PreviousQdisc | null;
  /** PID of the process that made the last change. */
  pid: number;
  /** Dead-man deadline (ms since the epoch) of the current freeze; null: none (pass-through, or opted out). */
  deadline?: number | null;
  /** The watchdog process that releases at the deadline. */
  watchdogPid?: number | null;
  /** Selective plug: the match expression, normalised. */
  match?: string | null;
  /** Selective plug: the prio qdisc qplug built at the attach point; detach deletes it. */
  root?: { kind: 'prio'; handle: number; parent: number } | null;
  /** A temporary plug (pulse): when this process dies, the watchdog detaches it. */
  ownerPid?: number | null;
  /** Who set the current state last, when not the user ("watchdog"). */
  releasedBy?: string | null;
}

export function stateDir(): string {
  return process.env.QPLUG_STATE_DIR ?? '/run/qplug/plugs';
}

function recordPath(netnsInode: number, ifindex: number, dir = stateDir()): string {
  return join(dir, `${netnsInode}-${ifindex}.json`);
}

export function isPlugRecord(value: unknown): value is PlugRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    r.version === 1 &&
    typeof r.dev === 'string' &&
    typeof r.ifindex === 'number' &&
    typeof r.netnsInode === 'number' &&
    typeof r.handle === 'number' &&
    typeof r.parent === 'number' &&
    (r.state === 'pass-through' || r.state === 'buffering') &&
    typeof r.since === 'number'
  );
}

export function readRecord(netnsInode: number, ifindex: number, dir = stateDir()): PlugRecord | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(recordPath(netnsInode, ifindex, dir), 'utf8'));
    return isPlugRecord(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Atomic: a reader never sees half a record. */
export function writeRecord(record: PlugRecord, dir = stateDir()): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const target = recordPath(record.netnsInode, record.ifindex, dir);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  renameSync(temp, target);
}

export function removeRecord(netnsInode: number, ifindex: number, dir = stateDir()): void {
  rmSync(recordPath(netnsInode, ifindex, dir), { force: true });
}

export function listRecords(dir = stateDir()): PlugRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const records: PlugRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      if (isPlugRecord(parsed)) records.push(parsed);
    } catch {
      // A record being replaced right now, or garbage: not ours to judge here.
    }
  }
  return records;
}
