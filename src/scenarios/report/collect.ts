/**
 * Collects a scenario's events into what a report draws: per variant its
 * runs' results, and for the runs worth drawing (see `retain`) a timeline:
 * every attempt, the plug windows per host/dev, reloads, marks and steps.
 * Feed it every event (`add`), from this machine or from the lab; it works
 * as well on a run a signal cut short (no scenario-end).
 */
import { reloadRecordOf, type Attempt, type PlugWindow, type ReloadRecord, type RunResult, type ScenarioEvent, type ScenarioSummary, type VariantSummary } from '../run/events.js';

export type { PlugWindow };
import type { Role } from '../planTypes.js';
import { PlugWindows } from '../run/plugWindows.js';

export interface StepSpan {
  readonly index: number;
  readonly step: string;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly error: string | null;
}

/** One run as it happened; times are ms after its t0 (load start). */
export interface RunTimeline {
  readonly variant: string;
  readonly run: number;
  readonly runId: string;
  readonly seed: number;
  readonly attempts: Attempt[];
  /** From `buffering` to `pass-through` or `detached`, per host/dev; `toMs` null: still held when the run ended. */
  readonly plugWindows: PlugWindow[];
  /** release_one: one packet let through. */
  readonly releaseOnes: { readonly host: string; readonly dev: string; readonly atMs: number }[];
  readonly reloads: ReloadRecord[];
  readonly marks: { readonly name: string; readonly atMs: number }[];
  readonly steps: StepSpan[];
  /** Null when a signal stopped the run before its end. */
  readonly result: RunResult | null;
}

export interface VariantRecord {
  readonly name: string;
  role: Role | null;
  /** Every run that ended, in order. */
  readonly results: RunResult[];
  /** The runs kept with their timelines (see `retain`), in order. */
  readonly timelines: RunTimeline[];
  /** From variant-end; null while it runs or when it was cut short. */
  summary: VariantSummary | null;
}

export interface CollectedScenario {
  readonly scenario: string | null;
  readonly seed: number | null;
  readonly variants: readonly VariantRecord[];
  readonly summary: ScenarioSummary | null;
  readonly warnings: readonly string[];
}

export interface CollectorOptions {
  /**
   * Which runs keep their timelines: 'representative' (default) the first run
   * of each variant and its first run that reproduced; 'all' every run (the
   * attempts of a long --repeat add up).
   */
  retain?: 'representative' | 'all';
}

export class ScenarioCollector {
  private scenario: string | null = null;
  private seed: number | null = null;
  private summary: ScenarioSummary | null = null;
  private readonly variants = new Map<string, VariantRecord>();
  private readonly current = new Map<string, RunTimeline>();
  /** Per run in progress: its plug windows so far. */
  private readonly windows = new Map<string, PlugWindows>();
  private readonly warnings: string[] = [];
  private readonly retain: 'representative' | 'all';

  constructor(options: CollectorOptions = {}) {
    this.retain = options.retain ?? 'representative';
  }

  /** Takes any event; those a report does not need are ignored. */
  add(e: ScenarioEvent): void {
    switch (e.type) {
      case 'scenario-start':
        this.scenario = e.scenario;
        this.seed = e.seed;
        for (const v of e.variants) this.variant(v);
        return;
      case 'variant-start':
        this.variant(e.variant).role = e.role;
        return;
      case 'run-start': {
        const id = `${e.variant}#${e.run}`;
        this.current.set(id, { variant: e.variant, run: e.run, runId: e.runId, seed: e.seed, attempts: [], plugWindows: [], releaseOnes: [], reloads: [], marks: [], steps: [], result: null });
        this.windows.set(id, new PlugWindows());
        return;
      }
      case 'attempts':
        this.run(e)?.attempts.push(...e.attempts);
        return;
      case 'plug':
        this.plug(e);
        return;
      case 'reload': {
        this.run(e)?.reloads.push(reloadRecordOf(e));
        return;
      }
      case 'mark':
        this.run(e)?.marks.push({ name: e.name, atMs: e.atMs });
        return;
      case 'step-start':
        this.run(e)?.steps.push({ index: e.index, step: e.step, startMs: e.atMs, endMs: null, error: null });
        return;
      case 'step-end': {
        const steps = this.run(e)?.steps;
        const i = steps?.findLastIndex((s) => s.index === e.index && s.endMs === null) ?? -1;
        if (steps && i >= 0) steps[i] = { ...steps[i]!, endMs: e.atMs, error: e.error };
        return;
      }
      case 'warning':
        this.warnings.push(`${e.variant ? `${e.variant} run ${e.run}: ` : ''}${e.message}`);
        return;
      case 'run-end':
        this.endRun(e.result);
        return;
      case 'variant-end': {
        const v = this.variant(e.summary.name);
        v.summary = e.summary;
        v.role ??= e.summary.role ?? 'null';
        return;
      }
      case 'scenario-end':
        this.summary = e.summary;
        this.scenario ??= e.summary.scenario;
        this.seed ??= e.summary.seed;
        return;
      default:
        return;
    }
  }

  /**
   * What was collected so far (live objects: read, do not change). A run a
   * signal cut short (no run-end) is drawn, with `result` null, for a variant
   * that has no finished run to show.
   */
  result(): CollectedScenario {
    const variants = [...this.variants.values()].map((v) => {
      const unfinished = [...this.current.values()].filter((t) => t.variant === v.name);
      if (v.timelines.length > 0 || unfinished.length === 0) return v;
      return { ...v, timelines: unfinished.map((t) => this.withWindows(t, `${t.variant}#${t.run}`)) };
    });
    return { scenario: this.scenario, seed: this.seed, variants, summary: this.summary, warnings: this.warnings };
  }

  private variant(name: string): VariantRecord {
    let v = this.variants.get(name);
    if (!v) {
      v = { name, role: null, results: [], timelines: [], summary: null };
      this.variants.set(name, v);
    }
    return v;
  }

  private run(e: { variant: string; run: number }): RunTimeline | undefined {
    return this.current.get(`${e.variant}#${e.run}`);
  }

  private plug(e: Extract<ScenarioEvent, { type: 'plug' }>): void {
    const id = `${e.variant}#${e.run}`;
    const timeline = this.current.get(id);
    if (!timeline) return;
    this.windows.get(id)?.add(e);
    if (e.state === 'release-one') timeline.releaseOnes.push({ host: e.host, dev: e.dev, atMs: e.atMs });
  }

  private endRun(result: RunResult): void {
    const id = `${result.variant}#${result.run}`;
    const timeline = this.current.get(id);
    const v = this.variant(result.variant);
    v.role ??= result.role;
    v.results.push(result);
    if (!timeline) return;
    const done = { ...this.withWindows(timeline, id), result };
    this.current.delete(id);
    this.windows.delete(id);
    const first = v.timelines.length === 0;
    const firstReproduced = result.reproduced && !v.timelines.some((t) => t.result?.reproduced);
    if (this.retain === 'all' || first || firstReproduced) v.timelines.push(done);
  }

  /** The timeline with its plug windows (those still frozen at its end without an end). */
  private withWindows(t: RunTimeline, id: string): RunTimeline {
    return { ...t, plugWindows: this.windows.get(id)?.windows() ?? [] };
  }
}

/** The run a report draws for a variant: its first run that reproduced, else its first run. */
export function representativeRun(v: VariantRecord): RunTimeline | null {
  return v.timelines.find((t) => t.result?.reproduced) ?? v.timelines[0] ?? null;
}
