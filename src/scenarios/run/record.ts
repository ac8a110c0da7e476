/**
 * Run records: before a run creates anything it writes what it is about to
 * create to /run/qplug/scenarios/<runid>.json, and removes the file after its
 * teardown. A record whose process is gone (kill -9, a crash, a power cut of
 * the lab) is a leftover: the next run kills the processes still inside its
 * namespaces and deletes the namespaces (their plug qdiscs go with them).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeServiceDirs } from '../services/dirs.js';
import { runCommand, signalPid } from './proc.js';

/** Every namespace a scenario run makes starts with this. */
export const NETNS_PREFIX = 'qps-';

export interface RunRecord {
  version: 1;
  runId: string;
  pid: number;
  /** /proc/PID/stat start time, so a reused PID is not taken for the owner. */
  pidStart: string | null;
  startedAt: string;
  scenario: string;
  variant: string;
  run: number;
  namespaces: string[];
}

/** Where run records live: next to the plug records (QPLUG_STATE_DIR moves both). */
export function recordDir(): string {
  const plugs = process.env.QPLUG_STATE_DIR;
  return plugs ? join(dirname(plugs), 'scenarios') : '/run/qplug/scenarios';
}

/** Short, unique enough across concurrent and successive runs: 8 hex digits. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** The namespace for a host of a run: qps-<runid>-<host>. */
export function namespaceName(runId: string, host: string): string {
  return `${NETNS_PREFIX}${runId}-${host}`;
}

function processStart(pid: number): string | null {
  try {
    // Field 22, counted after the parenthesised command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function writeRunRecord(record: Omit<RunRecord, 'version' | 'pid' | 'pidStart' | 'startedAt'>): RunRecord {
  const full: RunRecord = { version: 1, pid: process.pid, pidStart: processStart(process.pid), startedAt: new Date().toISOString(), ...record };
  const dir = recordDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${record.runId}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(full, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return full;
}

export function removeRunRecord(runId: string): void {
  rmSync(join(recordDir(), `${runId}.json`), { force: true });
}

function readRecords(): RunRecord[] {
  const dir = recordDir();
  if (!existsSync(dir)) return [];
  const records: RunRecord[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as RunRecord;
      if (r.version === 1 && typeof r.runId === 'string' && Array.isArray(r.namespaces)) records.push(r);
    } catch {
      // Half-written by a run killed mid-write: nothing was created yet.
      rmSync(join(dir, name), { force: true });
    }
  }
  return records;
}

function ownerAlive(r: RunRecord): boolean {
  const start = processStart(r.pid);
  return start !== null && (r.pidStart === null || start === r.pidStart);
}

/**
 * Kill what is left inside our namespaces, then delete them, and the folders
 * of their proxy services (config, API socket). Only names that start with
 * qps- are touched, and only processes inside those namespaces.
 */
export async function deleteNamespaces(names: readonly string[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const ns of names) {
    if (!ns.startsWith(NETNS_PREFIX)) continue;
    removeServiceDirs(ns);
    if (!existsSync(`/run/netns/${ns}`)) continue;
    const pids = await runCommand(['ip', 'netns', 'pids', ns], { timeoutMs: 30_000 }).catch(() => undefined);
    for (const pid of (pids?.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
      if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
        signalPid(pid, 'SIGKILL');
      }
    }
    const r = await runCommand(['ip', 'netns', 'del', ns], { timeoutMs: 30_000 }).catch(() => undefined);
    if (r?.code === 0) deleted.push(ns);
  }
  return deleted;
}


/** Remove what runs whose owner died left behind; returns what was removed, per run. */
export async function removeLeftovers(): Promise<{ runId: string; namespaces: string[] }[]> {
  const removed: { runId: string; namespaces: string[] }[] = [];
  for (const record of readRecords()) {
    if (record.pid === process.pid || ownerAlive(record)) continue;
    const namespaces = await deleteNamespaces(record.namespaces);
    if (record.namespaces.every((ns) => !existsSync(`/run/netns/${ns}`))) removeRunRecord(record.runId);
    removed.push({ runId: record.runId, namespaces });
  }
  return removed;
}
