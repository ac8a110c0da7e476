/**
 * A scenario run is teardown-clean (kernel tier: inside the lab, with a real
 * sch_plug). 20 runs of fixtures/teardown.yaml — two hosts and a veth pair, a
 * selective plug on the client's end (prio + plug + u32 filter), a built-in
 * http service, a low connection rate:
 *
 *   7 normal runs (one process, --repeat 7 --json)
 *   3 runs interrupted with SIGINT while the plug holds (exit 130)
 *   1 run killed with SIGKILL while the plug holds
 *   1 new run, which must report the killed run's leftovers removed
 *   8 normal runs (one process, --repeat 8 --json)
 *
 * plus one run stopped with SIGTERM (exit 143), not counted in the 20. After
 * every interrupted run, and at the end: no qps- namespace, no qdisc, veth or
 * plug record that was not there before, no run record, and none of the
 * processes the run started (qplug, its service and load generator in the
 * namespaces, the plug's watchdog) alive.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { here, qplugBin, sh, waitFor } from './helpers.js';

const FIXTURE = join(here, 'fixtures', 'teardown.yaml');
const dir = mkdtempSync(join(tmpdir(), 'qplug-teardown-'));
/** QPLUG_STATE_DIR: plug records here, run records next to it in scenarios/. */
const plugDir = join(dir, 'plugs');
const runDir = join(dir, 'scenarios');
const env = { ...process.env, FORCE_COLOR: '0', QPLUG_STATE_DIR: plugDir };

const out = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';
const ourNamespaces = () => out('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('qps-'));
const jsonFiles = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : []);
const plugRecords = () => jsonFiles(plugDir).map((f) => JSON.parse(readFileSync(join(plugDir, f), 'utf8')) as { state: string; dev: string; watchdogPid?: number | null; match?: string | null });
/** The qdisc table of this namespace, without refcnt (it changes with unrelated activity). */
const qdiscLines = () => out('tc', ['qdisc', 'show']).replace(/refcnt \d+/g, '').split('\n').map((l) => l.trim()).filter(Boolean).sort();
const vethNames = () => out('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter(Boolean).sort();

/** /proc/PID/stat start time: a PID reused by someone else is not ours. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent's wait is missing.
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

interface Tracked { pid: number; start: string; what: string }
/** Every process a run started that we saw, for the checks and for afterAll. */
const tracked: Tracked[] = [];
const track = (pid: number, what: string) => {
  const start = startTime(pid);
  if (start !== null) tracked.push({ pid, start, what });
};
const alive = (t: Tracked) => startTime(t.pid) === t.start;
const seenNamespaces = new Set<string>();
const children = new Set<ChildProcess>();

interface Finished { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function startQplug(args: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [qplugBin, 'scenario', FIXTURE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<Finished>((resolve) => child.once('close', (code, signal) => { children.delete(child); resolve({ code, signal, stdout, stderr }); }));
  return { child, done };
}

/** Baseline of this namespace, taken before the first run. */
let before: { qdiscs: string[]; veths: string[]; namespaces: string[] };

/** Nothing of any run is left, and no tracked process lives (watchdogs get `graceMs` to notice). */
async function expectNothingLeft(when: string, graceMs: number): Promise<void> {
  await waitFor(`the processes of the runs to be gone (${when})`, () => !tracked.some(alive), graceMs, 100).catch(() => undefined);
  expect(tracked.filter(alive).map((t) => `${t.what} ${t.pid}`), `processes left ${when}`).toEqual([]);
  expect(ourNamespaces(), `namespaces left ${when}`).toEqual(before.namespaces);
  expect((existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((n) => n.startsWith('qps-') && !before.namespaces.includes(n)), `netns files left ${when}`).toEqual([]);
  expect(qdiscLines(), `qdiscs left ${when}`).toEqual(before.qdiscs);
  expect(vethNames(), `veth devices left ${when}`).toEqual(before.veths);
  expect(jsonFiles(runDir), `run records left ${when}`).toEqual([]);
  expect(jsonFiles(plugDir), `plug records left ${when}`).toEqual([]);
}

/**
 * Start a `held` run and wait until its plug holds; then note its namespaces,
 * check the selective layout in the client's namespace, and track every
 * process it started (inside the namespaces, and the plug's watchdog).
 */
async function startHeld(): Promise<{ child: ChildProcess; done: Promise<Finished>; runId: string; namespaces: string[] }> {
  const run = startQplug(['--variant', 'held']);
  let exited = false;
  void run.done.then(() => { exited = true; });
  await waitFor('the plug of a held run to hold', () => exited || plugRecords().some((r) => r.state === 'buffering'), 150_000, 200);
  if (exited) {
    const r = await run.done;
    throw new Error(`the held run ended before its plug held (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(0, 500)}`);
  }
  const namespaces = ourNamespaces().filter((n) => !before.namespaces.includes(n));
  for (const n of namespaces) seenNamespaces.add(n);
  expect(namespaces).toHaveLength(2);
  const runId = /^qps-([0-9a-f]{8})-/.exec(namespaces[0] ?? '')?.[1] ?? '';
  expect(namespaces.sort()).toEqual([`qps-${runId}-client`, `qps-${runId}-server`]);
  expect(jsonFiles(runDir)).toEqual([`${runId}.json`]);
  // The selective plug: prio at the root, plug in its band, and the filter.
  const client = `qps-${runId}-client`;
  expect(sh('tc', ['-n', client, 'qdisc', 'show', 'dev', 'c0'])).toMatch(/qdisc prio[\s\S]*qdisc plug/);
  expect(sh('tc', ['-n', client, 'filter', 'show', 'dev', 'c0'])).toMatch(/u32/);
  for (const ns of namespaces) {
    for (const pid of sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number)) track(pid, `process in ${ns}`);
  }
  // The service (server) and the load generator (client), at least.
  expect(tracked.filter((t) => t.what.includes(runId)).length).toBeGreaterThanOrEqual(2);
  // The plug is temporary: it has a watchdog, in this namespace, that outlives qplug.
  const watchdogs = plugRecords().flatMap((r) => (r.watchdogPid ? [r.watchdogPid] : []));
  expect(watchdogs).toHaveLength(1);
  for (const pid of watchdogs) track(pid, 'watchdog of c0');
  if (run.child.pid) track(run.child.pid, 'qplug');
  return { ...run, runId, namespaces };
}

/** A normal run process: every run passes, nothing is left. */
async function normalRuns(repeat: number): Promise<number> {
  const r = await startQplug(['--variant', 'quick', '--repeat', String(repeat), '--json']).done;
  expect(r.stderr).toBe('');
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new Error(`--repeat ${repeat} --json printed no summary (exit ${r.code ?? r.signal}): ${r.stdout.slice(0, 300)}`);
  }
  const s = parsed as { exit_code: number; interrupted: string | null; variants: { name: string; runs: number; passed: boolean; errors: number; outcomes: Record<string, number>; results: { warnings: string[] }[] }[] };
  expect(s.variants.map((v) => v.results.flatMap((x) => x.warnings))).toEqual([[]]);
  expect(s).toMatchObject({ exit_code: 0, interrupted: null });
  expect(s.variants).toHaveLength(1);
  expect(s.variants[0]).toMatchObject({ name: 'quick', runs: repeat, passed: true, errors: 0 });
  expect(s.variants[0]!.outcomes.ok).toBeGreaterThan(0);
  expect(r.code).toBe(0);
  return s.variants[0]!.runs;
}

afterAll(async () => {
  // Only after a failure is anything here: what we started, by PID; the namespaces we saw.
  for (const child of children) child.kill('SIGKILL');
  for (const t of tracked) {
    try {
      if (alive(t)) process.kill(t.pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  for (const ns of seenNamespaces) if (existsSync(`/run/netns/${ns}`)) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
});

describe('qplug scenario teardown (real sch_plug)', () => {
  it('20 runs — 3 SIGINT and 1 SIGKILL while the plug holds, then a new run — plus a SIGTERM: nothing is left', { timeout: 420_000 }, async () => {
    before = { qdiscs: qdiscLines(), veths: vethNames(), namespaces: ourNamespaces() };
    expect(qdiscLines().join('\n')).not.toMatch(/qdisc (plug|prio)/);
    const started = Date.now();
    const lap = () => Math.round((Date.now() - started) / 100) / 10;
    const laps: string[] = [];
    let runs = 0;

    runs += await normalRuns(7);
    await expectNothingLeft('after 7 normal runs', 10_000);
    laps.push(`7 normal ${lap()}`);

    for (const [sig, code] of [['SIGINT', 130], ['SIGINT', 130], ['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const run = await startHeld();
      run.child.kill(sig);
      const r = await run.done;
      expect(r.code, `${sig}: ${r.stderr.trim().slice(0, 500)}`).toBe(code);
      expect(r.stderr).toMatch(new RegExp(`${sig}: tearing down`));
      expect(r.stdout).toMatch(new RegExp(`interrupted by ${sig}: torn down \\(exit ${code}\\)`));
      // Torn down before the process exited: only the plug's watchdog may still be on its way out.
      expect(tracked.filter((t) => alive(t) && !t.what.startsWith('watchdog')).map((t) => `${t.what} ${t.pid}`), `processes alive when qplug exited on ${sig}`).toEqual([]);
      expect(ourNamespaces()).toEqual(before.namespaces);
      expect(jsonFiles(runDir)).toEqual([]);
      await expectNothingLeft(`after ${sig}`, 15_000);
      if (sig === 'SIGINT') runs++;
      laps.push(`${sig} ${lap()}`);
    }

    // SIGKILL: nothing runs in qplug any more. The plug is temporary: its watchdog
    // detaches it; the service and generator see their stdin close; the record stays.
    const killed = await startHeld();
    killed.child.kill('SIGKILL');
    const k = await killed.done;
    expect(k.signal).toBe('SIGKILL');
    runs++;
    await waitFor('the watchdog to remove the plug', () => plugRecords().length === 0, 30_000, 200);
    expect(sh('tc', ['-n', `qps-${killed.runId}-client`, 'qdisc', 'show', 'dev', 'c0'])).not.toMatch(/plug|prio/);
    expect(jsonFiles(runDir)).toEqual([`${killed.runId}.json`]);
    // Not asserted: the service and the generator exit once their stdin closes, or the next run kills them.
    const orphans = tracked.filter((t) => t.what.includes(killed.runId));
    const survivors = orphans.filter(alive).length;
    laps.push(`SIGKILL ${lap()} (${survivors} of ${orphans.length} processes in its namespaces alive at the next run)`);

    const next = await startQplug(['--variant', 'quick', '--repeat', '1']).done;
    expect(next.stderr).toMatch(new RegExp(`removed the leftovers of run ${killed.runId}: qps-${killed.runId}-client, qps-${killed.runId}-server`));
    expect(next.stderr).not.toMatch(/warning/);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    runs++;
    await expectNothingLeft('after the run after SIGKILL', 30_000);
    laps.push(`next ${lap()}`);

    runs += await normalRuns(8);
    await expectNothingLeft('at the end', 10_000);
    laps.push(`8 normal ${lap()}`);

    expect(runs).toBe(20);
    process.stdout.write(`scenario teardown in the lab: ${runs} runs (16 normal, 3 SIGINT, 1 SIGKILL) + 1 SIGTERM in ${lap()} s; laps (s): ${laps.join(', ')}\n`);
  });
});
