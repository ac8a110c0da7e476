/**
 * What the live view of `qplug scenario` shows, folded from the runner's
 * events: reduceLive(state, event, nowMs) -> a new state. Pure (the input
 * state is never changed, the clock is an argument), so the view is a plain
 * function of the state and the reducer is tested without a terminal.
 */
import { COUNTERS } from '../../scenarios/expression.js';
import type { Role } from '../../scenarios/planTypes.js';
import { reloadRecordOf, type Counters, type ReloadRecord, type RunPhase, type ScenarioEvent } from '../../scenarios/run/events.js';
import { sumCounters, zeroCounters } from '../../scenarios/run/metrics.js';
import type { PlugChange } from '../../scenarios/run/plugs.js';
import { progressLine } from '../../scenarios/run/report.js';

/** A plugged device's state between its plug events (detached ends the stretch). */
export type DeviceState = Exclude<PlugChange, 'detached'>;

/** One stretch of time a plugged device spent in one state; toMs null while it lasts. */
export interface StateWindow {
  readonly host: string;
  readonly dev: string;
  readonly state: DeviceState;
  readonly match: string | null;
  readonly fromMs: number;
  readonly toMs: number | null;
}

export interface StepRef {
  readonly index: number;
  readonly step: string;
  readonly atMs: number;
}

/** A step that ended with an error. */
export interface FailedStep extends StepRef {
  readonly error: string;
}

/** A finished run of the current variant. */
export interface RunOutcome {
  readonly run: number;
  readonly reproduced: boolean;
  readonly error: boolean;
}

/** A finished variant, as the summary will list it. */
export interface VariantLine {
  readonly name: string;
  readonly role: 'bug' | 'fix' | null;
  readonly runs: number;
  readonly reproduced: number;
  /** 0..1 */
  readonly rate: number;
  readonly passed: boolean;
  readonly errors: number;
}

/** A counters reading at atMs (every generator added up), kept for the rates. */
export interface CounterSample {
  readonly atMs: number;
  readonly totals: Counters;
}

export type ServiceState = Extract<ScenarioEvent, { type: 'service' }>['state'];

export interface LiveState {
  readonly scenario: string | null;
  readonly seed: number | null;
  /** The variants that will run, in order, and their runs each. */
  readonly variants: readonly string[];
  readonly repeat: Readonly<Record<string, number>>;
  readonly variant: { readonly name: string; readonly role: Role } | null;
  readonly run: { readonly n: number; readonly runs: number; readonly seed: number; readonly runId: string } | null;
  readonly phase: RunPhase | null;
  /** The latest run time an event carried (ms after t0) and the wall clock when it arrived. */
  readonly clock: { readonly atMs: number; readonly wallMs: number } | null;
  readonly services: Readonly<Record<string, ServiceState>>;
  /** Every plug state change of the current run, as windows per host/dev. */
  readonly plugs: readonly StateWindow[];
  readonly reloads: readonly ReloadRecord[];
  readonly marks: readonly { readonly name: string; readonly atMs: number }[];
  /** Steps running now (steps whose triggers fire together run concurrently). */
  readonly steps: readonly StepRef[];
  /** Every step start of the run, for the strip. */
  readonly stepStarts: readonly StepRef[];
  readonly stepsDone: number;
  readonly failedSteps: readonly FailedStep[];
  /** Per generator, and every generator added up. */
  readonly load: Readonly<Record<string, Counters>>;
  readonly totals: Counters;
  /** Per second, over the last RATE_WINDOW_MS of counters readings. */
  readonly rates: Counters;
  readonly samples: readonly CounterSample[];
  readonly runOutcomes: readonly RunOutcome[];
  readonly finished: readonly VariantLine[];
  /** Lines that stay above the live part: the plain progress lines (run ends, warnings, leftovers). Only grows. */
  readonly log: readonly string[];
  /** Set by scenario-end. */
  readonly end: { readonly exitCode: number; readonly interrupted: string | null } | null;
}

/** The rates are taken over this much run time. */
const RATE_WINDOW_MS = 1000;
/** The view moves the run's clock on by the wall clock at most this far past the latest event. */
const MAX_EXTRAPOLATION_MS = 1000;

export function initialLiveState(): LiveState {
  return {
    scenario: null,
    seed: null,
    variants: [],
    repeat: {},
    variant: null,
    run: null,
    phase: null,
    clock: null,
    services: {},
    plugs: [],
    reloads: [],
    marks: [],
    steps: [],
    stepStarts: [],
    stepsDone: 0,
    failedSteps: [],
    load: {},
    totals: zeroCounters(),
    rates: zeroCounters(),
    samples: [],
    runOutcomes: [],
    finished: [],
    log: [],
    end: null,
  };
}

/** What belongs to one run, cleared when the next starts. */
function freshRun(s: LiveState): LiveState {
  return {
    ...s, phase: null, clock: null, services: {}, plugs: [], reloads: [], marks: [], steps: [], stepStarts: [], stepsDone: 0, failedSteps: [],
    load: {}, totals: zeroCounters(), rates: zeroCounters(), samples: [],
  };
}

/** Per second, from the oldest reading kept to the newest. */
function ratesOf(samples: readonly CounterSample[]): Counters {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const rates = zeroCounters();
  if (!first || !last || last.atMs <= first.atMs) return rates;
  const seconds = (last.atMs - first.atMs) / 1000;
  for (const k of COUNTERS) rates[k] = Math.max(0, last.totals[k] - first.totals[k]) / seconds;
  return rates;
}

/** The newest reading and those back to the last one at or before the window's start. */
function trimSamples(samples: readonly CounterSample[]): CounterSample[] {
  const last = samples[samples.length - 1];
  if (!last) return [];
  const start = last.atMs - RATE_WINDOW_MS;
  let from = 0;
  samples.forEach((x, i) => {
    if (x.atMs <= start) from = i;
  });
  return samples.slice(from);
}

/** The run's time moved on: note it, and the wall clock then. */
function tick(s: LiveState, atMs: number, nowMs: number): LiveState {
  if (s.clock && atMs < s.clock.atMs) return s;
  return { ...s, clock: { atMs, wallMs: nowMs } };
}

function plugChange(s: LiveState, e: Extract<ScenarioEvent, { type: 'plug' }>): LiveState {
  const open = (w: StateWindow) => w.host === e.host && w.dev === e.dev && w.toMs === null;
  const closed = s.plugs.map((w) => (open(w) ? { ...w, toMs: e.atMs } : w));
  if (e.state === 'detached') return { ...s, plugs: closed };
  return { ...s, plugs: [...closed, { host: e.host, dev: e.dev, state: e.state, match: e.match, fromMs: e.atMs, toMs: null }] };
}

/** Attempts count at once; the next counters reading replaces the tally with the runner's own. */
function addAttempts(s: LiveState, attempts: Extract<ScenarioEvent, { type: 'attempts' }>['attempts']): LiveState {
  if (attempts.length === 0) return s;
  const load: Record<string, Counters> = { ...s.load };
  const copied = new Set<string>();
  for (const a of attempts) {
    if (!copied.has(a.load)) {
      load[a.load] = { ...(load[a.load] ?? zeroCounters()) };
      copied.add(a.load);
    }
    const c = load[a.load]!;
    c.attempts++;
    c[a.outcome]++;
  }
  return { ...s, load, totals: sumCounters(Object.values(load)) };
}

/** The state after one event; `nowMs` is the wall clock when it arrived. */
export function reduceLive(s: LiveState, e: ScenarioEvent, nowMs: number): LiveState {
  const line = progressLine(e);
  const state = line === null ? s : { ...s, log: [...s.log, line] };
  switch (e.type) {
    case 'scenario-start':
      return { ...state, scenario: e.scenario, seed: e.seed, variants: e.variants, repeat: e.repeat };
    case 'variant-start':
      return { ...freshRun(state), variant: { name: e.variant, role: e.role }, run: null, runOutcomes: [] };
    case 'run-start':
      return { ...freshRun(state), run: { n: e.run, runs: e.runs, seed: e.seed, runId: e.runId } };
    case 'phase':
      return { ...state, phase: e.phase };
    case 'service':
      return { ...state, services: { ...state.services, [e.service]: e.state } };
    case 'step-start': {
      const step = { index: e.index, step: e.step, atMs: e.atMs };
      return tick({ ...state, steps: [...state.steps, step], stepStarts: [...state.stepStarts, step] }, e.atMs, nowMs);
    }
    case 'step-end': {
      const steps = state.steps.filter((x) => x.index !== e.index);
      const failedSteps = e.error === null ? state.failedSteps : [...state.failedSteps, { index: e.index, step: e.step, atMs: e.atMs, error: e.error }];
      return tick({ ...state, steps, stepsDone: state.stepsDone + 1, failedSteps }, e.atMs, nowMs);
    }
    case 'plug':
      return tick(plugChange(state, e), e.atMs, nowMs);
    case 'mark':
      return tick({ ...state, marks: [...state.marks, { name: e.name, atMs: e.atMs }] }, e.atMs, nowMs);
    case 'reload': {
      return tick({ ...state, reloads: [...state.reloads, reloadRecordOf(e)] }, e.atMs, nowMs);
    }
    case 'attempts':
      return addAttempts(state, e.attempts);
    case 'counters': {
      // The runner's own tally: it holds every attempt emitted before it.
      const load = Object.fromEntries(Object.entries(e.counters).map(([k, v]) => [k, { ...v }]));
      const totals = sumCounters(Object.values(load));
      const samples = trimSamples([...state.samples, { atMs: e.atMs, totals }]);
      return tick({ ...state, load, totals, samples, rates: ratesOf(samples) }, e.atMs, nowMs);
    }
    case 'run-end': {
      const r = e.result;
      // The run's final tally; nothing happens per second any more.
      const load = Object.fromEntries(Object.entries(r.load).map(([k, v]) => [k, { ...v.counters }]));
      const totals: Counters = { attempts: r.attempts, ...r.outcomes };
      const runOutcomes = [...state.runOutcomes, { run: r.run, reproduced: r.reproduced, error: r.error !== null }];
      return { ...state, load, totals, rates: zeroCounters(), samples: [], steps: [], runOutcomes };
    }
    case 'variant-end': {
      const v = e.summary;
      return { ...state, finished: [...state.finished, { name: v.name, role: v.role, runs: v.runs, reproduced: v.reproduced, rate: v.rate, passed: v.passed, errors: v.errors }] };
    }
    case 'scenario-end':
      return { ...state, steps: [], rates: zeroCounters(), end: { exitCode: e.summary.exit_code, interrupted: e.summary.interrupted } };
    default:
      // leftovers-removed and warning are plain lines only; an event type this view does not know changes nothing.
      return state;
  }
}

/** The run's elapsed time at `nowMs`: the latest event's, moved on by the wall clock while the timeline plays. */
export function elapsedMs(s: LiveState, nowMs: number): number {
  if (!s.clock) return 0;
  if (s.phase !== 'timeline') return s.clock.atMs;
  return s.clock.atMs + Math.min(MAX_EXTRAPOLATION_MS, Math.max(0, nowMs - s.clock.wallMs));
}

export interface DevicePlug {
  readonly host: string;
  readonly dev: string;
  /** Its window now; null once detached. */
  readonly current: StateWindow | null;
  readonly windows: readonly StateWindow[];
}

/** Every device plugged in this run, in the order it was first plugged. */
export function devicePlugs(s: LiveState): DevicePlug[] {
  const devices = new Map<string, { host: string; dev: string; current: StateWindow | null; windows: StateWindow[] }>();
  for (const w of s.plugs) {
    const key = `${w.host}/${w.dev}`;
    const d = devices.get(key) ?? { host: w.host, dev: w.dev, current: null, windows: [] };
    d.windows.push(w);
    if (w.toMs === null) d.current = w;
    devices.set(key, d);
  }
  return [...devices.values()];
}

/** Column widths of the strip, in ms: the smallest that fits the elapsed time, so the strip rescales rarely. */
const SCALES_MS = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

/** How many ms one column of a strip `width` columns wide stands for, when `elapsed` ms must fit. */
export function stripScale(elapsed: number, width: number): number {
  const cols = Math.max(1, width);
  return SCALES_MS.find((s) => elapsed <= s * cols) ?? Math.ceil(elapsed / cols);
}

/** One cell of a strip: buffering, release-one, pass-through, not plugged (or past the run's time). */
export type PlugCell = DeviceState | null;

const PLUG_WEIGHT: Record<DeviceState, number> = { 'release-one': 3, buffering: 2, 'pass-through': 1 };

/**
 * A device's state per column up to `elapsed`: in each column the most telling
 * state it was in (release-one, then buffering, then pass-through), so a short
 * freeze still shows.
 */
export function plugCells(windows: readonly StateWindow[], elapsed: number, scale: number, width: number): PlugCell[] {
  const used = Math.min(width, Math.ceil(elapsed / scale));
  const cells: PlugCell[] = [];
  for (let c = 0; c < used; c++) {
    const from = c * scale;
    const to = from + scale;
    let cell: PlugCell = null;
    for (const w of windows) {
      const end = w.toMs ?? Infinity;
      const overlaps = w.fromMs < to && (end > from || (w.fromMs >= from && end === w.fromMs));
      if (overlaps && (cell === null || PLUG_WEIGHT[w.state] > PLUG_WEIGHT[cell])) cell = w.state;
    }
    cells.push(cell);
  }
  return cells;
}

/** What happened in a column of the timeline: a failed step, a reload, a mark, a step start, or nothing. */
export type EventCell = 'error' | 'reload' | 'mark' | 'step' | null;

const EVENT_WEIGHT: Record<Exclude<EventCell, null>, number> = { error: 4, reload: 3, mark: 2, step: 1 };

export function eventCells(s: LiveState, elapsed: number, scale: number, width: number): EventCell[] {
  const used = Math.min(width, Math.ceil(elapsed / scale));
  const cells: EventCell[] = Array.from({ length: used }, () => null);
  const put = (atMs: number, what: Exclude<EventCell, null>) => {
    const c = Math.min(Math.floor(atMs / scale), used - 1);
    const cur = cells[c];
    if (c >= 0 && (cur === null || cur === undefined || EVENT_WEIGHT[what] > EVENT_WEIGHT[cur])) cells[c] = what;
  };
  for (const x of s.stepStarts) put(x.atMs, 'step');
  for (const x of s.marks) put(x.atMs, 'mark');
  for (const x of s.reloads) put(x.atMs, 'reload');
  for (const x of s.failedSteps) put(x.atMs, 'error');
  return cells;
}
