/**
 * Helpers for the scenario e2e tests: the built CLI, scenario files in a
 * temporary folder, and a private state dir so run records of the tests never
 * mix with a real /run/qplug.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(root, 'bin', 'qplug.js');
export const work = mkdtempSync(join(tmpdir(), 'qplug-scenario-e2e-'));
export const stateDir = join(work, 'state', 'plugs');
export const recordDir = join(work, 'state', 'scenarios');

/** For afterAll: the scenario files and state of this test file. */
export function removeWork(): void {
  rmSync(work, { recursive: true, force: true });
}
const env = { ...process.env, FORCE_COLOR: '0', QPLUG_STATE_DIR: stateDir };

/** Runs only as root with `ip netns` working (this host's e2e tier runs as root). */
export const canRun = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return probe.status === 0;
})();

export function scenarioFile(name: string, text: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

export function qplug(args: string[], timeoutMs = 90_000): CliResult {
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: timeoutMs, env, cwd: work });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

export function startQplug(args: string[]): ChildProcess & { out: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [bin, ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { out: { stdout: string; stderr: string } };
  child.out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (child.out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (child.out.stderr += d.toString()));
  return child;
}

export function exited(child: ChildProcess, timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve({ code: child.exitCode, signal: child.signalCode }); return; }
    const timer = setTimeout(() => reject(new Error(`qplug did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
}

function scenarioNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('qps-'));
}

/** Scenario namespaces that were there before this test file started: not ours to judge. */
const foreign = new Set(canRun ? scenarioNamespaces() : []);

/** Our namespaces (qps-...) now present. */
export function ourNamespaces(): string[] {
  return scenarioNamespaces().filter((n) => !foreign.has(n));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Two hosts joined by one link: what most tests need. */
export const TWO_HOSTS = `
topology:
  hosts: [client, server]
  links:
    - a: { host: client, dev: c0, address: 10.201.0.1/24 }
      b: { host: server, dev: s0, address: 10.201.0.2/24 }
`;

export interface SummaryJson {
  scenario: string;
  seed: number;
  exit_code: number;
  interrupted: string | null;
  where: string;
  variants: {
    name: string; role: 'bug' | 'fix' | null; runs: number; reproduced: number; rate: number; first_reproduction_ms: number | null;
    outcomes: Record<'ok' | 'reset' | 'refused' | 'timeout' | 'other', number>; attempts: number; passed: boolean; errors: number;
    results: { run: number; seed: number; error: string | null; reproduced: boolean; passed: boolean; outcomes: Record<string, number>; latency_ms: Record<string, number>;
      expectations: { that: string; held: boolean; value: number }[]; marks: { name: string; atMs: number }[]; load: Record<string, { counters: Record<string, number> }> }[];
  }[];
}
