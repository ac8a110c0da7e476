/**
 * The shipped haproxy-reload scenario: Debian's HAProxy reloaded under load,
 * against a real sch_plug (kernel tier: inside the lab, where the CLI runs it
 * directly). One run per variant: a run costs tens of seconds under the emulated
 * CPU (the 20-run figures are in docs/scenarios.md).
 * Skipped by name when HAProxy is not installed.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { missingCommands } from '../../src/scenarios/services.js';
import { runShippedScenario } from './helpers.js';

const REPEAT = 1;

interface Counters { attempts: number; ok: number; reset: number; refused: number; timeout: number; other: number }
interface Latency { min: number; max: number }
interface Run {
  run: number;
  reproduced: boolean;
  passed: boolean;
  error: string | null;
  load: Record<'busy' | 'burst', { counters: Counters; latency: Latency }>;
  marks: { name: string; atMs: number }[];
}
interface Variant { name: string; role: string | null; runs: number; reproduced: number; rate: number; first_reproduction_ms: number | null; outcomes: Omit<Counters, 'attempts'>; attempts: number; passed: boolean; errors: number; results: Run[] }

const missing = missingCommands({ commands: ['haproxy', 'bash'], install: null });
/** From scenarios/haproxy-reload.yaml: the burst's first SYN, and the reload. */
const BURST_MS = 1000;
const RELOAD_MS = 1080;
/** A release step, the handshakes and the attempt's own bookkeeping, under the emulated CPU. */
const RELEASE_SLACK_MS = 500;

const markMs = (run: Run, name: string): number => {
  const mark = run.marks.find((m) => m.name === name);
  expect(mark, `run ${run.run}: mark '${name}'`).toBeDefined();
  return mark!.atMs;
};

describe.skipIf(missing.length > 0)(`qplug scenario haproxy-reload (real HAProxy and sch_plug${missing.length > 0 ? `; skipped: ${missing.join(', ')} not installed, apt-get install haproxy` : ''})`, () => {
  it('--repeat 1 --json: -sf resets the burst every time; the SYN plug around the reload and -x lose nothing; nothing is left', { timeout: 900_000 }, () => {
    const before = new Set(readdirSync(tmpdir()));
    const { r, s, byName, seconds } = runShippedScenario<Variant>('haproxy-reload', REPEAT, { timeoutMs: 880_000 });
    expect(r.stderr).toBe('');
    const closed = (v: string) => byName[v]?.results.map((run) => markMs(run, 'old listener closed') - RELOAD_MS);
    process.stdout.write(`haproxy-reload --repeat ${REPEAT} in the lab: ${seconds.toFixed(1)} s; first reproduction ${byName.sf?.first_reproduction_ms} ms; ` +
      `reload (signal -> old listener closed) ms: ${JSON.stringify(Object.fromEntries(['sf', 'plug', 'expose-fd'].map((v) => [v, closed(v)])))}; ` +
      `burst latency max ms: ${JSON.stringify(Object.fromEntries(s.variants.map((v) => [v.name, v.results.map((x) => x.load.burst.latency.max)])))}\n`);
    expect(r.status).toBe(0);
    expect(s).toMatchObject({ scenario: 'haproxy-reload', exit_code: 0 });

    // The bug: every run resets the burst. Only what was queued is lost: the old process had accepted its
    // maxconn (10) of the 18 connections, so at most 8 resets; nothing else fails.
    expect(byName.sf).toMatchObject({ role: 'bug', runs: REPEAT, reproduced: REPEAT, rate: 1, passed: true, errors: 0 });
    expect(byName.sf!.first_reproduction_ms).toBeGreaterThan(0);
    for (const run of byName.sf!.results) {
      const { busy, burst } = run.load;
      expect(burst.counters.reset, `sf run ${run.run}`).toBeGreaterThan(0);
      expect(busy.counters.reset + burst.counters.reset, `sf run ${run.run}`).toBeLessThanOrEqual(8);
      for (const c of [busy.counters, burst.counters]) expect(c).toMatchObject({ refused: 0, timeout: 0, other: 0 });
      expect(busy.counters.attempts + burst.counters.attempts).toBe(18);
    }

    // The fixes: not one failed connection.
    for (const name of ['plug', 'expose-fd']) {
      const v = byName[name]!;
      expect(v).toMatchObject({ role: 'fix', runs: REPEAT, reproduced: 0, rate: 0, first_reproduction_ms: null, passed: true, errors: 0 });
      expect(v.outcomes).toEqual({ ok: REPEAT * (10 + 8), reset: 0, refused: 0, timeout: 0, other: 0 });
      expect(v.attempts).toBe(REPEAT * (10 + 8));
    }
    // Yelp's plug: a held handshake waits from its SYN until the old listener has closed (the reload, plus the
    // 80 ms from the burst to the reload), no longer.
    for (const run of byName.plug!.results) {
      const closedAt = markMs(run, 'old listener closed');
      expect(run.load.burst.latency.max, `plug run ${run.run}`).toBeLessThanOrEqual(closedAt - BURST_MS + RELEASE_SLACK_MS);
    }

    // Teardown: no namespace, and no run directory of the HAProxy service.
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(/qps-/);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('qplug-qps-') && !before.has(f))).toEqual([]);
  });
});
