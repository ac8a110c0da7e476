/**
 * runScenario: a plan (or a file) -> every selected variant, `repeat` runs
 * each, in fresh namespaces -> a summary with reproduction rates and an exit
 * code. Emits typed events on the way (the plain printer and the live view
 * subscribe). The same function serves the CLI and library users.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { ConfigError, PermissionError, signalExitCode } from '../../errors.js';
import { didYouMean } from '../../text/didYouMean.js';
import { loadScenario } from '../load.js';
import type { ScenarioPlan, VariantPlan } from '../planTypes.js';
import { missingCommands } from '../services.js';
import type { RunResult, ScenarioEvent, ScenarioSummary, VariantSummary } from './events.js';
import { newRunId, removeLeftovers } from './record.js';
import { runOnce } from './runOnce.js';
import { insideLab, labReason, runPlanInLab } from './lab.js';
import { tallyRuns } from './report.js';

export interface RunScenarioOptions {
  /** Runs per variant (default: each variant's `repeat`). */
  repeat?: number;
  /** Seed of the first run of every variant; run i uses seed + i (default: the file's). */
  seed?: number;
  /** Run only these variants, in the file's order. */
  variants?: readonly string[];
  /** Keep running the remaining runs after one fails with an error (default: stop there). */
  keepGoing?: boolean;
  /** Tear down and stop on SIGINT/SIGTERM (default true); the summary says which signal. */
  handleSignals?: boolean;
  /** Every event, as it happens. */
  onEvent?: (event: ScenarioEvent) => void;
  /** Or an emitter: each event is emitted as 'event' and under its own type ('plug', 'run-end'...). */
  events?: ScenarioEvents;
  /** Abort from outside: the current run tears down and the summary is returned. */
  signal?: AbortSignal;
  /**
   * Where to run: 'auto' (default) moves into the kernel lab when the scenario
   * has plug steps and this kernel has no sch_plug; 'always' runs in the lab;
   * 'never' runs here. In the lab the events arrive as they would here and
   * the summary says `where: 'lab'`; `signal` is not honoured there (SIGINT/SIGTERM are).
   */
  lab?: 'auto' | 'always' | 'never';
}

type EventsByType = { [K in ScenarioEvent['type']]: [Extract<ScenarioEvent, { type: K }>] } & { event: [ScenarioEvent] };

/**
 * Typed events of a run, for a live view: `events.on('plug', (e) => ...)`,
 * or every event with `events.on('event', ...)`. Pass it as `events`.
 */
export class ScenarioEvents extends EventEmitter<EventsByType> {
  /** @internal */
  dispatch(event: ScenarioEvent): void {
    // Typed for listeners; the dispatch itself is by name.
    const emit = this.emit.bind(this) as (type: string, event: ScenarioEvent) => boolean;
    emit('event', event);
    emit(event.type, event);
  }
}

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** Namespaces need CAP_SYS_ADMIN (ip netns add mounts) and CAP_NET_ADMIN. */
function assertPrivileges(): void {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const caps = m?.[1] ? BigInt(`0x${m[1]}`) : 0n;
  if ((caps & (1n << CAP_NET_ADMIN)) === 0n || (caps & (1n << CAP_SYS_ADMIN)) === 0n) {
    throw new PermissionError('running a scenario creates network namespaces and needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN): run it with sudo, or with --vm in the lab');
  }
}

/** Throws (exit 2, E_SCENARIO) when a variant to run needs a command this machine lacks: one line naming the scenario, the commands, how to install them. */
export function checkRequirements(scenario: string, variants: readonly VariantPlan[]): void {
  const missing = [...new Set(variants.flatMap((v) => missingCommands(v.requires)))];
  if (missing.length === 0) return;
  const installs = [...new Set(variants.map((v) => v.requires.install).filter((i): i is string => i !== null))];
  const what = missing.length === 1 ? `the command '${missing[0]}', which is` : `the commands ${missing.map((c) => `'${c}'`).join(', ')}, which are`;
  throw new ConfigError('E_SCENARIO', [`scenario ${scenario} needs ${what} not installed here (not on PATH): install ${missing.length === 1 ? 'it' : 'them'}${installs.length > 0 ? ` (${installs.join('; ')})` : ''} and run it again`], { details: { missing } });
}

/** The variants to run (all, or those named), once the machine has what they require: nothing has run yet when this throws. */
export function selectVariants(plan: ScenarioPlan, names: readonly string[] | undefined): VariantPlan[] {
  const known = plan.variants.map((v) => v.variant);
  const problems = (names ?? []).filter((n) => !known.includes(n)).map((n) => `--variant ${n}: no such variant in ${plan.name} (${didYouMean(n, known, 'variants')})`);
  if (problems.length > 0) throw new ConfigError('E_SCENARIO', problems);
  const selected = !names || names.length === 0 ? [...plan.variants] : plan.variants.filter((v) => names.includes(v.variant));
  checkRequirements(plan.name, selected);
  return selected;
}

/** The warning a run stopped by a signal emits first. */
export function interruptedWarning(signal: NodeJS.Signals): ScenarioEvent {
  return { type: 'warning', variant: null, run: null, message: `${signal}: tearing down` };
}

/** When a reproducing run showed its bug, in ms after its variant started (the run started runStartMs after). */
export function reproducedAtMs(runStartMs: number, result: RunResult): number {
  return runStartMs + (result.signatureSeenAtMs ?? result.durationMs);
}

/** A variant's verdict from its runs (also used to sum up a run in the lab that a signal cut short). */
export function summarise(variant: VariantPlan, seed: number, results: RunResult[], firstMs: number | null): VariantSummary {
  const { outcomes, reproduced, rate } = tallyRuns(results);
  const errors = results.filter((r) => r.error !== null).length;
  const passed = results.length > 0 && errors === 0 && (variant.role === 'bug' ? reproduced > 0 : results.every((r) => r.passed));
  return {
    name: variant.variant,
    role: variant.role === 'null' ? null : variant.role,
    seed,
    runs: results.length,
    reproduced,
    rate,
    first_reproduction_ms: firstMs,
    outcomes,
    attempts: results.reduce((n, r) => n + r.attempts, 0),
    passed,
    errors,
    results,
  };
}

/**
 * Run a scenario: a plan from loadScenario, or what loadScenario takes (a
 * path, a shipped name, YAML text). Resolves with the summary (its exit_code
 * says how it went); rejects only when nothing could run (a broken scenario,
 * no privileges): ConfigError / QplugError.
 */
export async function runScenario(scenario: ScenarioPlan | string, options: RunScenarioOptions = {}): Promise<ScenarioSummary> {
  const plan = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const variants = selectVariants(plan, options.variants);
  if (options.repeat !== undefined && (!Number.isInteger(options.repeat) || options.repeat < 1)) throw new ConfigError('E_SCENARIO', [`--repeat ${options.repeat}: expected a whole number from 1`]);
  const emit = (event: ScenarioEvent) => {
    options.onEvent?.(event);
    options.events?.dispatch(event);
  };
  // Inside the lab labReason is always null: the inner run never moves again.
  if ((options.lab ?? 'auto') !== 'never' && (await labReason(variants, options.lab === 'always')) !== null) {
    const text = typeof scenario === 'string' && plan.file === null ? scenario : null;
    return runPlanInLab(plan, text, { ...options, variantPlans: variants, emit });
  }
  assertPrivileges();
  const started = Date.now();
  const seed = options.seed ?? plan.base.seed;
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    emit(interruptedWarning(sig));
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  const onExternal = () => onSignal('SIGINT');
  options.signal?.addEventListener('abort', onExternal, { once: true });
  const handle = options.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const summaries: VariantSummary[] = [];
  let stop = false;
  try {
    for (const left of await removeLeftovers()) emit({ type: 'leftovers-removed', ...left });
    emit({ type: 'scenario-start', scenario: plan.name, seed, variants: variants.map((v) => v.variant), repeat: Object.fromEntries(variants.map((v) => [v.variant, options.repeat ?? v.repeat])) });
    for (const variant of variants) {
      if (stop || interrupted) break;
      const runs = options.repeat ?? variant.repeat;
      const variantSeed = options.seed ?? variant.seed;
      const variantStart = Date.now();
      const results: RunResult[] = [];
      let firstMs: number | null = null;
      emit({ type: 'variant-start', variant: variant.variant, role: variant.role });
      for (let run = 1; run <= runs; run++) {
        const runStart = Date.now() - variantStart;
        const runSeed = variantSeed + run - 1;
        const runId = newRunId();
        emit({ type: 'run-start', variant: variant.variant, run, runs, runId, seed: runSeed });
        const result = await runOnce({ scenario: plan.name, variant, run, runs, runId, seed: runSeed, signal: controller.signal, emit });
        if (interrupted) break;
        results.push(result);
        emit({ type: 'run-end', result });
        if (result.reproduced && firstMs === null) firstMs = reproducedAtMs(runStart, result);
        if (result.error !== null && !options.keepGoing) {
          stop = true;
          break;
        }
      }
      const summary = summarise(variant, variantSeed, results, firstMs);
      summaries.push(summary);
      emit({ type: 'variant-end', summary });
    }
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    options.signal?.removeEventListener('abort', onExternal);
  }
  const all = summaries.flatMap((s) => s.results);
  const sig = interrupted as NodeJS.Signals | null;
  const exitCode = sig
    ? signalExitCode(sig)
    : all.some((r) => r.environmentError)
      ? 2
      : summaries.length < variants.length || summaries.some((s) => !s.passed)
        ? 1
        : 0;
  const summary: ScenarioSummary = { scenario: plan.name, file: plan.file, seed, variants: summaries, exit_code: exitCode, interrupted: sig, duration_ms: Date.now() - started, where: insideLab() ? 'lab' : 'host' };
  emit({ type: 'scenario-end', summary });
  return summary;
}
