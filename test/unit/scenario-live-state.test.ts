/**
 * The live view's state: a synthetic event sequence folded by reduceLive
 * gives the plug windows, reloads, marks, steps, counters and rates, and the
 * finished variants; the reducer never changes the state it is given.
 */
import { describe, expect, it } from 'vitest';
import { devicePlugs, elapsedMs, eventCells, initialLiveState, plugCells, reduceLive, stripScale, type LiveState } from '../../src/cli/scenario/liveState.js';
import type { ScenarioEvent } from '../../src/scenarios/run/events.js';
import { counters, endEvents, midRunEvents } from './scenario-live-events.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Event i arrives at wall clock 10 000 + 10 i; every state is frozen, so a mutation throws. */
function fold(events: readonly ScenarioEvent[], from: LiveState = initialLiveState(), t = 10_000): LiveState {
  return events.reduce((s, e, i) => deepFreeze(reduceLive(s, e, t + i * 10)), deepFreeze(from));
}

describe('live view state', () => {
  const mid = fold(midRunEvents);

  it('knows the scenario, the variant, the run and its phase', () => {
    expect(mid).toMatchObject({
      scenario: 'proxy-reload', seed: 7, variants: ['handoff', 'restart'], repeat: { handoff: 1, restart: 2 },
      variant: { name: 'restart', role: 'bug' }, run: { n: 1, runs: 2, seed: 7, runId: 'r2' }, phase: 'timeline',
      services: { lb: 'ready' }, end: null,
    });
  });

  it('keeps each plug state as a window per host/dev, with its match', () => {
    expect(mid.plugs).toEqual([
      { host: 'client', dev: 'c0', state: 'buffering', match: 'tcp dport 8080', fromMs: 510, toMs: 1500 },
      { host: 'client', dev: 'c0', state: 'release-one', match: 'tcp dport 8080', fromMs: 1500, toMs: 2000 },
      { host: 'client', dev: 'c0', state: 'pass-through', match: 'tcp dport 8080', fromMs: 2000, toMs: null },
    ]);
    expect(devicePlugs(mid)).toEqual([{ host: 'client', dev: 'c0', current: mid.plugs[2], windows: mid.plugs }]);
    const detached = fold(endEvents.slice(0, 1), mid);
    expect(detached.plugs[2]?.toMs).toBe(4100);
    expect(devicePlugs(detached)[0]?.current).toBeNull();
  });

  it('keeps reloads with strategy and ms, marks, and the steps still running', () => {
    expect(mid.reloads.map((r) => [r.service, r.strategy, r.ms, r.atMs, r.oldPid, r.newPid])).toEqual([['lb', 'restart', 1.25, 1001, 43, 44], ['lb', 'restart', 0.75, 2501, 44, 45]]);
    expect(mid.marks).toEqual([{ name: 'gap', atMs: 1600 }]);
    expect(mid.steps).toEqual([{ index: 4, step: 'reload', atMs: 2500 }]);
    expect(mid.stepsDone).toBe(4);
    expect(mid.stepStarts.map((x) => x.atMs)).toEqual([500, 1000, 1500, 2000, 2500]);
    const failed = fold([{ type: 'step-end', variant: 'restart', run: 1, index: 4, step: 'reload', atMs: 2600, error: 'no such service' }], mid);
    expect(failed.steps).toEqual([]);
    expect(failed.failedSteps).toEqual([{ index: 4, step: 'reload', atMs: 2600, error: 'no such service' }]);
  });

  it('counts attempts at once, takes the counters readings as the tally, and rates over the last second', () => {
    // The new run starts from zero; its first two attempts count before any reading.
    const early = fold(midRunEvents.slice(0, 13));
    expect(early.totals).toEqual(counters({ attempts: 2, ok: 2 }));
    expect(early.rates).toEqual(counters({}));
    expect(mid.totals).toEqual(counters({ attempts: 5000, ok: 4960, refused: 30, reset: 10 }));
    expect(mid.load).toEqual({ conns: mid.totals });
    // Readings at 500, 1500, 2000, 2500: the window goes back to the one at 1500.
    expect(mid.samples.map((x) => x.atMs)).toEqual([1500, 2000, 2500]);
    expect(mid.rates).toEqual(counters({ attempts: 2000, ok: 1970, refused: 20, reset: 10 }));
  });

  it('moves the clock on with the wall clock while the timeline plays, at most a second past the last event', () => {
    // The reload at 2501 ms was event 30 (wall 10 300); the later counters reading at 2500 does not move it back.
    expect(mid.clock).toEqual({ atMs: 2501, wallMs: 10_300 });
    expect(elapsedMs(mid, 10_400)).toBe(2601);
    expect(elapsedMs(mid, 60_000)).toBe(3501);
    expect(elapsedMs({ ...mid, phase: 'teardown' }, 60_000)).toBe(2501);
    expect(elapsedMs(initialLiveState(), 60_000)).toBe(0);
  });

  it('lists finished variants and runs, keeps the plain lines, and ends', () => {
    expect(mid.finished).toEqual([{ name: 'handoff', role: 'fix', runs: 1, reproduced: 0, rate: 0, passed: true, errors: 0 }]);
    expect(mid.runOutcomes).toEqual([]);
    expect(mid.log).toEqual([expect.stringMatching(/^handoff run 1: not reproduced; 100 attempts \(ok 100\)/), 'warning: restart run 1: lb: slow to stop']);
    const end = fold(endEvents, mid);
    expect(end.runOutcomes).toEqual([{ run: 1, reproduced: true, error: false }]);
    expect(end.totals).toEqual(counters({ attempts: 8000, ok: 7900, reset: 20, refused: 80 }));
    expect(end.rates).toEqual(counters({}));
    expect(end.finished.map((v) => [v.name, v.runs, v.reproduced, v.rate])).toEqual([['handoff', 1, 0, 0], ['restart', 1, 1, 1]]);
    expect(end.end).toEqual({ exitCode: 0, interrupted: null });
    expect(end.log).toHaveLength(3);
  });

  it('a new run starts with an empty timeline and tally', () => {
    const next = fold([{ type: 'run-start', variant: 'restart', run: 2, runs: 2, runId: 'r3', seed: 8 }], mid);
    expect(next).toMatchObject({ run: { n: 2, seed: 8 }, phase: null, clock: null, plugs: [], reloads: [], marks: [], steps: [], stepsDone: 0, totals: counters({}), samples: [] });
    expect(next.finished).toEqual(mid.finished);
  });

  it('draws the strip: a column per scale step, the most telling plug state, and what happened', () => {
    expect(stripScale(2600, 26)).toBe(100);
    expect(stripScale(2601, 26)).toBe(200);
    expect(stripScale(0, 26)).toBe(50);
    expect(stripScale(10 * 3_600_000, 10)).toBe(3_600_000);
    const glyph = { buffering: 'B', 'release-one': '1', 'pass-through': '-' } as const;
    const plug = plugCells(mid.plugs, 2600, 100, 26).map((c) => (c === null ? ' ' : glyph[c])).join('');
    expect(plug).toBe(`${' '.repeat(5)}${'B'.repeat(10)}${'1'.repeat(5)}${'-'.repeat(6)}`);
    // Only as far as the run's time, and never wider than the strip.
    expect(plugCells(mid.plugs, 1000, 100, 26)).toHaveLength(10);
    expect(plugCells(mid.plugs, 9000, 100, 26)).toHaveLength(26);
    const ev = { step: '^', reload: 'R', mark: '*', error: '!' } as const;
    const events = eventCells(mid, 2600, 100, 26).map((c) => (c === null ? ' ' : ev[c])).join('');
    expect(events).toBe('     ^    R    ^*   ^    R');
  });
});
