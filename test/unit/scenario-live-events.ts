/**
 * A synthetic event sequence of one scenario, as the runner emits it: a fix
 * variant that ran once and held, then a bug variant in its first run, with a
 * freeze, a release-one, two reloads, a mark and counters readings. Shared by
 * the live view's state and rendering tests.
 */
import type { Counters, RunResult, ScenarioEvent, ScenarioSummary, VariantSummary } from '../../src/scenarios/run/events.js';

export const counters = (c: Partial<Counters>): Counters => ({ attempts: 0, ok: 0, reset: 0, refused: 0, timeout: 0, other: 0, ...c });

const latency = { min: 1, mean: 2, p50: 2, p90: 3, p99: 4, p999: 5, max: 6 };

function runResult(over: Partial<RunResult> & Pick<RunResult, 'variant' | 'role' | 'run'>): RunResult {
  return {
    runId: `r${over.run}`, seed: 7, durationMs: 4000,
    outcomes: { ok: 100, reset: 0, refused: 0, timeout: 0, other: 0 }, attempts: 100, latency,
    load: { conns: { counters: counters({ attempts: 100, ok: 100 }), latency } },
    signatureSeen: false, signatureSeenAtMs: null, signature: [], expectations: [],
    reproduced: false, passed: true, error: null, environmentError: false, marks: [], reloads: [], plugWindows: [], warnings: [],
    ...over,
  };
}

function variantSummary(name: string, role: 'bug' | 'fix' | null, results: RunResult[]): VariantSummary {
  const reproduced = results.filter((r) => r.reproduced).length;
  return {
    name, role, seed: 7, runs: results.length, reproduced, rate: results.length ? reproduced / results.length : 0,
    first_reproduction_ms: null, outcomes: { ok: 100, reset: 0, refused: 0, timeout: 0, other: 0 }, attempts: 100,
    passed: results.every((r) => r.passed), errors: results.filter((r) => r.error !== null).length, results,
  };
}

const fixRun = runResult({ variant: 'handoff', role: 'fix', run: 1 });
const base = { variant: 'restart', run: 1 };

/** Up to the middle of the bug variant's first run, 2.6 s into its timeline. */
export const midRunEvents: ScenarioEvent[] = [
  { type: 'scenario-start', scenario: 'proxy-reload', seed: 7, variants: ['handoff', 'restart'], repeat: { handoff: 1, restart: 2 } },
  { type: 'variant-start', variant: 'handoff', role: 'fix' },
  { type: 'run-start', variant: 'handoff', run: 1, runs: 1, runId: 'r1', seed: 7 },
  { type: 'phase', variant: 'handoff', run: 1, phase: 'timeline' },
  { type: 'counters', variant: 'handoff', run: 1, atMs: 250, counters: { conns: counters({ attempts: 50, ok: 50 }) } },
  { type: 'run-end', result: fixRun },
  { type: 'variant-end', summary: variantSummary('handoff', 'fix', [fixRun]) },
  { type: 'variant-start', variant: 'restart', role: 'bug' },
  { type: 'run-start', ...base, runs: 2, runId: 'r2', seed: 7 },
  { type: 'phase', ...base, phase: 'services' },
  { type: 'service', ...base, service: 'lb', state: 'ready', pid: 42, detail: null },
  { type: 'phase', ...base, phase: 'timeline' },
  { type: 'attempts', ...base, attempts: [{ load: 'conns', startMs: 0, outcome: 'ok', latencyMs: 1 }, { load: 'conns', startMs: 1, outcome: 'ok', latencyMs: 1 }] },
  { type: 'counters', ...base, atMs: 500, counters: { conns: counters({ attempts: 1000, ok: 1000 }) } },
  { type: 'step-start', ...base, index: 0, step: 'plug', atMs: 500 },
  { type: 'plug', ...base, host: 'client', dev: 'c0', state: 'buffering', match: 'tcp dport 8080', atMs: 510 },
  { type: 'step-end', ...base, index: 0, step: 'plug', atMs: 510, error: null },
  { type: 'step-start', ...base, index: 1, step: 'reload', atMs: 1000 },
  { type: 'reload', ...base, service: 'lb', strategy: 'restart', pid: 42, oldPid: 43, newPid: 44, ms: 1.25, callMs: 3.5, atMs: 1001 },
  { type: 'step-end', ...base, index: 1, step: 'reload', atMs: 1001, error: null },
  { type: 'counters', ...base, atMs: 1500, counters: { conns: counters({ attempts: 3000, ok: 2990, refused: 10 }) } },
  { type: 'step-start', ...base, index: 2, step: 'release_one', atMs: 1500 },
  { type: 'plug', ...base, host: 'client', dev: 'c0', state: 'release-one', match: 'tcp dport 8080', atMs: 1500 },
  { type: 'step-end', ...base, index: 2, step: 'release_one', atMs: 1500, error: null },
  { type: 'mark', ...base, name: 'gap', atMs: 1600 },
  { type: 'step-start', ...base, index: 3, step: 'release', atMs: 2000 },
  { type: 'plug', ...base, host: 'client', dev: 'c0', state: 'pass-through', match: 'tcp dport 8080', atMs: 2000 },
  { type: 'step-end', ...base, index: 3, step: 'release', atMs: 2000, error: null },
  { type: 'counters', ...base, atMs: 2000, counters: { conns: counters({ attempts: 4000, ok: 3980, refused: 20 }) } },
  { type: 'step-start', ...base, index: 4, step: 'reload', atMs: 2500 },
  { type: 'reload', ...base, service: 'lb', strategy: 'restart', pid: 42, oldPid: 44, newPid: 45, ms: 0.75, callMs: 2.25, atMs: 2501 },
  { type: 'counters', ...base, atMs: 2500, counters: { conns: counters({ attempts: 5000, ok: 4960, refused: 30, reset: 10 }) } },
  { type: 'warning', ...base, message: 'lb: slow to stop' },
];

const bugRun = runResult({
  variant: 'restart', role: 'bug', run: 1,
  outcomes: { ok: 7900, reset: 20, refused: 80, timeout: 0, other: 0 }, attempts: 8000,
  load: { conns: { counters: counters({ attempts: 8000, ok: 7900, reset: 20, refused: 80 }), latency } },
  signatureSeen: true, signatureSeenAtMs: 1200, reproduced: true,
});

/** The rest: the plug is detached at teardown, the run ends, then the variant (its second run left out) and the scenario. */
export const endEvents: ScenarioEvent[] = [
  { type: 'plug', ...base, host: 'client', dev: 'c0', state: 'detached', match: 'tcp dport 8080', atMs: 4100 },
  { type: 'run-end', result: bugRun },
  { type: 'variant-end', summary: variantSummary('restart', 'bug', [bugRun]) },
  {
    type: 'scenario-end',
    summary: { scenario: 'proxy-reload', file: null, seed: 7, variants: [], exit_code: 0, interrupted: null, duration_ms: 9000, where: 'host' } satisfies ScenarioSummary,
  },
];
