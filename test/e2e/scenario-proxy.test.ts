/**
 * Proxy services in scenarios, on this host, through the built CLI: the
 * shipped scenarios/proxy-reload.yaml (an echo server behind the real qplug
 * proxy, tcp_connect load through it, reload steps), its handoff variant
 * losing nothing, its restart variant refusing connections, a clean
 * teardown (no namespace, no proxy process, no socket folder), and a broken
 * inline proxy config located in the scenario file.
 * Needs root and `npm run build:ts`; skipped by name otherwise.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRun, ourNamespaces, qplug, removeWork, root, scenarioFile, type SummaryJson } from './scenario-run-helpers.js';

const built = existsSync(join(root, 'dist', 'scenarios', 'services', 'proxy.js'));
const example = join(root, 'scenarios', 'proxy-reload.yaml');

interface ReloadJson { service: string; strategy: string; pid: number | null; old_pid: number; new_pid: number; ms: number; at_ms: number }
type ProxySummary = SummaryJson & { variants: (SummaryJson['variants'][number] & { results: { reloads: ReloadJson[]; run_id: string }[] })[] };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every proxy PID a summary names: masters and every worker. */
function proxyPids(s: ProxySummary): number[] {
  const pids = new Set<number>();
  for (const v of s.variants) {
    for (const r of v.results) {
      for (const x of r.reloads) {
        if (x.pid !== null) pids.add(x.pid);
        pids.add(x.old_pid);
        pids.add(x.new_pid);
      }
    }
  }
  return [...pids];
}

/**
 * Namespaces of these runs still there. Only ours: the e2e tier runs other
 * files side by side, and a namespace another test left is not this test's.
 */
function namespacesOf(s: ProxySummary): string[] {
  const runIds = s.variants.flatMap((v) => v.results.map((r) => r.run_id));
  return ourNamespaces().filter((n) => runIds.some((id) => n.startsWith(`qps-${id}-`)));
}

/** Proxy folders of runs (qplug-qps-<runid>-...) still in the temp dir. */
function proxyDirsOf(s: ProxySummary): string[] {
  const runIds = s.variants.flatMap((v) => v.results.map((r) => r.run_id));
  return readdirSync(tmpdir()).filter((n) => runIds.some((id) => n.startsWith(`qplug-qps-${id}-`)));
}

afterAll(removeWork);

describe.skipIf(!canRun || !built)('scenario proxy services (this host; skipped: needs root, ip netns and `npm run build:ts`)', () => {
  it('handoff: the shipped example reloads the real proxy five times and loses nothing; teardown leaves nothing', () => {
    const r = qplug(['scenario', example, '--variant', 'handoff', '--json'], 120_000);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const s = JSON.parse(r.stdout) as ProxySummary;
    const v = s.variants[0]!;
    expect(v.name).toBe('handoff');
    expect(v.errors).toBe(0);
    expect(v.outcomes.reset).toBe(0);
    expect(v.outcomes.refused).toBe(0);
    expect(v.outcomes.ok).toBeGreaterThan(1000);
    expect(v.passed).toBe(true);
    expect(r.code).toBe(0);
    const reloads = v.results[0]!.reloads;
    expect(reloads.map((x) => x.strategy)).toEqual(['handoff', 'handoff', 'handoff', 'handoff', 'handoff']);
    // Each reload starts from the worker the previous one left serving, under one master.
    for (let i = 1; i < reloads.length; i++) expect(reloads[i]!.old_pid).toBe(reloads[i - 1]!.new_pid);
    expect(new Set(reloads.map((x) => x.pid)).size).toBe(1);
    for (const x of reloads) expect(x.ms).toBeGreaterThan(0);
    expect(namespacesOf(s)).toEqual([]);
    expect(proxyPids(s).filter(alive)).toEqual([]);
    expect(proxyDirsOf(s)).toEqual([]);
  }, 150_000);

  it('restart: the bug variant shows refused connections in --repeat 3; the step strategy overrides the service', () => {
    const r = qplug(['scenario', example, '--variant', 'restart', '--repeat', '3', '--json'], 240_000);
    const s = JSON.parse(r.stdout) as ProxySummary;
    const v = s.variants[0]!;
    expect(v.role).toBe('bug');
    expect(v.runs).toBe(3);
    expect(v.errors).toBe(0);
    expect(v.reproduced).toBeGreaterThanOrEqual(1);
    expect(v.outcomes.refused + v.outcomes.reset).toBeGreaterThan(0);
    expect(v.passed).toBe(true);
    for (const run of v.results) expect(run.reloads.map((x) => x.strategy)).toEqual(['restart', 'restart', 'restart', 'restart', 'handoff']);
    expect(namespacesOf(s)).toEqual([]);
    expect(proxyPids(s).filter(alive)).toEqual([]);
    expect(proxyDirsOf(s)).toEqual([]);
  }, 270_000);

  it('a broken inline proxy config is E_SCENARIO located in the scenario file, before anything runs', () => {
    const file = scenarioFile('proxy-broken', `
name: proxy-broken
duration: 1s
services:
  app: { type: echo, address: 127.0.0.1, port: 9000 }
  lb:
    type: proxy
    config:
      frontends: { main: { bind: "0.0.0.0:8080", bakend: app } }
      backends: { app: { servers: [{ name: s1, address: "127.0.0.1:9000" }] } }
timeline:
  - { at: 500ms, type: reload, service: lb }
`);
    const before = new Set(ourNamespaces());
    const r = qplug(['scenario', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:\\d+: [^\\n]*bakend[^\\n]*did you mean 'backend'`));
    expect(r.stdout + r.stderr).toMatch(/E_SCENARIO/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(ourNamespaces().filter((n) => !before.has(n))).toEqual([]);
  });

  it('strategy on a reload step of a non-proxy service is E_SCENARIO at that step', () => {
    const file = scenarioFile('strategy-echo', `
name: strategy-echo
duration: 1s
services:
  app: { type: echo, port: 9000 }
timeline:
  - { at: 500ms, type: reload, service: app, strategy: handoff }
`);
    const r = qplug(['scenario', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/:7:\d+: .*strategy is for proxy services.*\[E_SCENARIO\]/);
  });
});
