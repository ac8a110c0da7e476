/**
 * `qplug scenario <file>` on this host, through the built CLI: scenarios
 * without plug steps run here (namespaces, built-in and command services,
 * load, every non-plug step, expectations, verdicts, --repeat, --json).
 * Needs root and `npm run build:ts`; skipped by name otherwise.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRun, removeWork, ourNamespaces, qplug, recordDir, root, scenarioFile, TWO_HOSTS, type SummaryJson } from './scenario-run-helpers.js';

const built = existsSync(join(root, 'dist', 'scenarios', 'run', 'runner.js'));
const NODE = JSON.stringify(process.execPath);

const steps = scenarioFile('host-steps', `
name: host-steps
description: services, load and every step that needs no plug, on this host
duration: 3s
topology:
  hosts: { client: { sysctl: { net.ipv4.tcp_syn_retries: 2 } }, server: {} }
  links:
    - a: { host: client, dev: c0, address: 10.201.0.1/24 }
      b: { host: server, dev: s0, address: 10.201.0.2/24 }
services:
  web: { type: http, host: server, port: 8080, response_delay: 10ms }
  echo: { type: echo, host: server, port: 7 }
  app:
    type: command
    host: server
    argv: [${NODE}, -e, "require('net').createServer((s) => s.end()).listen(9000, () => console.log('up')); process.on('SIGHUP', () => console.log('hup'))"]
    ready: { tcp: 9000 }
    reload: { signal: HUP }
load:
  conns: { type: tcp_connect, from: client, to: server:8080, rate: 20, timeout: 2s }
  http: { type: http_keepalive, from: client, to: server:8080, connections: 2, idle: [50ms, 150ms], timeout: 2s }
  echoes: { type: tcp_connect, from: client, to: server:7, rate: 10, hold: 100ms, stop: 2s, timeout: 2s }
timeline:
  - { at: 200ms, type: mark, name: begin }
  - { at: 500ms, type: freeze, service: web }
  - { at: 900ms, type: thaw, service: web }
  - { type: signal, service: app, signal: HUP }
  - { type: wait, until: { output: { service: app, matches: hup }, timeout: 10s } }
  - { type: exec, host: client, argv: [ip, -br, link, show, c0] }
  - { type: reload, service: app }
  - { after: { metric: conns.ok >= 20, timeout: 10s }, type: mark, name: enough }
  - { type: exec, host: client, shell: 'test "$(sysctl -n net.ipv4.tcp_syn_retries)" = 2' }
  - { at: 2500ms, type: reload, service: echo }
expect:
  - conns.ok > 0
  - http.ok > 0
  - echoes.ok > 0
  - refused == 0
  - reset == 0
  - { that: timeout == 0, because: a 400 ms freeze is well within the 2 s timeouts }
`);

const refused = scenarioFile('refused', `
name: refused
duration: 1s
${TWO_HOSTS}
services:
  web: { type: echo, host: server, port: 8080 }
load:
  conns: { type: tcp_connect, from: client, to: server:9999, rate: 10, timeout: 1s }
signature: conns.refused > 0
expect: [conns.ok > 0]
variants:
  wrong-port: { role: bug }
  right-port: { role: fix, set: { load.conns.to: "server:8080" } }
`);

afterAll(removeWork);

describe.skipIf(!canRun || !built)('qplug scenario run on this host (skipped: needs root, ip netns and `npm run build:ts`)', () => {
  it('runs services, load and every non-plug step; --json has the documented shape; nothing is left', () => {
    const r = qplug(['scenario', steps, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as SummaryJson;
    expect(s).toMatchObject({ scenario: 'host-steps', seed: 1, exit_code: 0, interrupted: null, where: 'host' });
    expect(s.variants).toHaveLength(1);
    const [v] = s.variants;
    expect(v).toMatchObject({ name: 'default', role: null, runs: 1, reproduced: 0, rate: 0, first_reproduction_ms: null, passed: true, errors: 0 });
    expect(Object.keys(v!.outcomes).sort()).toEqual(['ok', 'other', 'refused', 'reset', 'timeout']);
    const run = v!.results[0]!;
    expect(run.error).toBeNull();
    for (const load of ['conns', 'http', 'echoes']) expect(run.load[load]!.counters.ok).toBeGreaterThan(0);
    // 20/s and 10/s for 3 s: every scheduled attempt is counted once.
    expect(run.load.conns!.counters.attempts).toBe(60);
    expect(run.load.echoes!.counters.attempts).toBe(20);
    expect(v!.attempts).toBe(Object.values(v!.outcomes).reduce((a, b) => a + b, 0));
    // An `after` step watches from t0: 20 connections at 20/s take about 1 s, well after the mark at 200 ms.
    expect(run.marks.map((m) => m.name)).toEqual(['begin', 'enough']);
    expect(run.latency_ms.p99).toBeGreaterThan(0);
    expect(run.latency_ms.max).toBeGreaterThanOrEqual(run.latency_ms.p99);
    expect(run.expectations.every((e) => e.held)).toBe(true);
    expect(ourNamespaces()).toEqual([]);
    expect(readdirSync(recordDir)).toEqual([]);
  });

  it('a failed expectation is exit 1, named in the plain summary with its value', () => {
    const failing = scenarioFile('failing', `
name: failing
duration: 1s
${TWO_HOSTS}
load:
  conns: { type: tcp_connect, from: client, to: server:9999, rate: 10, timeout: 1s }
expect:
  - { that: conns.refused == 0, because: something listens there }
`);
    const r = qplug(['scenario', failing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^failing: seed 1, 1 variant, 1 run each/);
    expect(r.stdout).toMatch(/default\s+null\s+1\s+1\s+100%\s+\S+\s+FAILED/);
    expect(r.stdout).toMatch(/outcomes\s+attempts\s+ok\s+reset\s+refused\s+timeout\s+other/);
    expect(r.stdout).toMatch(/default run 1 \(seed 1\): expected conns\.refused == 0, was 10 \(something listens there\)/);
    expect(r.stdout).toMatch(/exit 1: an expectation failed/);
    expect(r.stderr).toMatch(/default run 1: reproduced; 10 attempts \(refused 10\)/);
    expect(ourNamespaces()).toEqual([]);
  });

  it('--repeat 3 --seed 5: per variant runs, reproduced, rate, first reproduction; bug and fix both hold', () => {
    const r = qplug(['scenario', refused, '--repeat', '3', '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as SummaryJson;
    expect(s.seed).toBe(5);
    const [bug, fix] = s.variants;
    expect(bug).toMatchObject({ name: 'wrong-port', role: 'bug', runs: 3, reproduced: 3, rate: 1, passed: true });
    expect(bug!.first_reproduction_ms).toBeGreaterThan(0);
    expect(bug!.outcomes.refused).toBe(30);
    expect(bug!.results.map((x) => x.seed)).toEqual([5, 6, 7]);
    expect(fix).toMatchObject({ name: 'right-port', role: 'fix', runs: 3, reproduced: 0, rate: 0, first_reproduction_ms: null, passed: true });
    expect(fix!.outcomes).toEqual({ ok: 30, reset: 0, refused: 0, timeout: 0, other: 0 });
    expect(ourNamespaces()).toEqual([]);
  });

  it('--variant runs only the named ones; an unknown one is exit 2 with a did-you-mean', () => {
    const one = qplug(['scenario', refused, '--variant', 'right-port', '--json']);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as SummaryJson).variants.map((v) => v.name)).toEqual(['right-port']);
    const bad = qplug(['scenario', refused, '--variant', 'rigth-port']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--variant rigth-port: no such variant in refused \(did you mean 'right-port'\?/);
  });

  it('a failing exec step fails the run (exit 1); a service that cannot start is exit 2; both clean up', () => {
    const exec = scenarioFile('exec-fails', `
name: exec-fails
duration: 1s
timeline:
  - { type: exec, argv: ["false"] }
`);
    const r = qplug(['scenario', exec, '--repeat', '2', '--json']);
    expect(r.code).toBe(1);
    const first = (JSON.parse(r.stdout) as SummaryJson).variants[0]!;
    // Without --keep-going the first run with an error ends the scenario.
    expect(first).toMatchObject({ runs: 1, errors: 1, passed: false });
    expect(first.results[0]!.error).toBe('timeline[0] (exec): exec `false` in main exited 1');
    const going = qplug(['scenario', exec, '--repeat', '2', '--keep-going']);
    expect(going.code).toBe(1);
    expect(going.stdout).toMatch(/default\s+null\s+2\s+/);
    expect(going.stdout).toMatch(/default run 2 \(seed 2\): error: timeline\[0\] \(exec\): exec `false` in main exited 1/);
    const broken = scenarioFile('no-such-command', `
name: no-such-command
duration: 1s
services:
  app: { type: command, argv: [/nonexistent/qplug-test-binary], ready: { tcp: 9000, timeout: 2s } }
`);
    const b = qplug(['scenario', broken]);
    expect(b.code).toBe(2);
    expect(b.stdout).toMatch(/error: services: service 'app' exited before it was ready/);
    expect(ourNamespaces()).toEqual([]);
  });
});
