/**
 * Where plug is missing: a scenario with plug steps runs inside the kernel
 * lab (a throwaway VM whose kernel has sch_plug). The same qplug command runs
 * in the VM with the same flags plus a hidden one, `--event-stream`: instead
 * of printing, the inner run writes every ScenarioEvent to its stdout as a
 * JSON text sequence (RFC 7464: RS, JSON, LF). Here the events are rebuilt
 * and handed to the caller as they arrive, so the printer, a live view and a
 * report see a run in the lab exactly as one on this machine; the last one,
 * scenario-end, carries the summary. The inner stderr (its errors) is passed
 * through.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError, EnvironmentError, signalExitCode } from '../../errors.js';
import type { ScenarioPlan, VariantPlan } from '../planTypes.js';
import { stepNeedsPlug } from '../steps/index.js';
import type { RunResult, ScenarioEvent, ScenarioSummary, VariantSummary } from './events.js';
import { interruptedWarning, reproducedAtMs, summarise } from './runner.js';

/** Set inside the VM so the inner qplug runs the scenario itself. */
export const IN_LAB_ENV = 'QPLUG_SCENARIO_IN_LAB';
/** The hidden flag of `qplug scenario <file>` that makes it write its events to stdout instead of printing. */
export const EVENT_STREAM_FLAG = '--event-stream';
const QPLUG_BIN = fileURLToPath(new URL('../../../bin/qplug.js', import.meta.url));
const PACKAGE_ROOT = dirname(dirname(QPLUG_BIN));
/** RFC 7464's record separator: whatever else reaches stdout cannot be mistaken for an event. */
const RS = '\x1e';

const EVENT_TYPES: Readonly<Record<ScenarioEvent['type'], true>> = {
  'scenario-start': true, 'leftovers-removed': true, 'variant-start': true, 'run-start': true, phase: true, service: true,
  'step-start': true, 'step-end': true, plug: true, mark: true, reload: true, attempts: true, counters: true, warning: true,
  'run-end': true, 'variant-end': true, 'scenario-end': true,
};

/** One event as the inner run writes it. */
export function encodeEvent(event: ScenarioEvent): string {
  return `${RS}${JSON.stringify(event)}\n`;
}

/** The event in one line of the inner stdout, or null (then the line is something else). */
export function decodeEvent(line: string): ScenarioEvent | null {
  const at = line.lastIndexOf(RS);
  if (at < 0) return null;
  try {
    const value = JSON.parse(line.slice(at + 1)) as unknown;
    const type = (value as { type?: unknown } | null)?.type;
    return typeof type === 'string' && Object.hasOwn(EVENT_TYPES, type) ? (value as ScenarioEvent) : null;
  } catch {
    return null;
  }
}

/** The VM mounts fresh /tmp and /run; of what lies under them only the job's cwd stays visible. */
function shadowedInLab(path: string): boolean {
  return /^\/(tmp|run)(\/|$)/.test(path);
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/** A scenario to run in the lab: a file, or YAML text (written to a file the VM can see). */
export type LabScenario = string | { readonly text: string };

/**
 * A cwd, and a path for the scenario file, that the VM can see. A package
 * under /tmp (a fresh clone there) becomes the cwd; a scenario file the VM
 * would not see, or text, is written to /var/tmp for the run.
 */
function labPaths(scenario: LabScenario): { cwd: string; file: string; cleanup: () => void } {
  let cwd = process.cwd();
  if (shadowedInLab(PACKAGE_ROOT) && !inside(cwd, PACKAGE_ROOT)) cwd = PACKAGE_ROOT;
  const absolute = typeof scenario === 'string' ? resolve(scenario) : null;
  if (absolute !== null && (!shadowedInLab(absolute) || inside(cwd, absolute))) return { cwd, file: absolute, cleanup: () => undefined };
  const dir = mkdtempSync('/var/tmp/qplug-lab-scenario-');
  const copy = join(dir, absolute === null ? 'scenario.yaml' : basename(absolute));
  if (absolute === null) writeFileSync(copy, (scenario as { text: string }).text);
  else copyFileSync(absolute, copy);
  return { cwd, file: copy, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function insideLab(): boolean {
  return process.env[IN_LAB_ENV] === '1';
}

export function usesPlug(variants: readonly VariantPlan[]): boolean {
  return variants.some((v) => v.timeline.some(stepNeedsPlug));
}

/** Why this scenario must run in the lab, or null when it runs here. */
export async function labReason(variants: readonly VariantPlan[], vm: boolean): Promise<string | null> {
  if (insideLab()) return null;
  if (vm) return '--vm';
  if (!usesPlug(variants)) return null;
  const { probeSchPlug } = await import('../../plug/schPlugProbe.js');
  const probe = await probeSchPlug();
  return probe.available === true ? null : `this kernel cannot plug (${probe.detail})`;
}

/** Generous: the VM is ~50x slower than this machine, and nothing here is timed. */
function labTimeoutMs(variants: readonly VariantPlan[], repeat: number | undefined): number {
  const runs = variants.reduce((n, v) => n + (repeat ?? v.repeat), 0);
  const longest = Math.max(0, ...variants.map((v) => v.durationMs));
  return 120_000 + runs * (longest * 2 + 90_000);
}

/** The run options the inner qplug takes as flags. */
export interface LabFlags {
  repeat?: number;
  seed?: number;
  variants?: readonly string[];
  keepGoing?: boolean;
  debug?: boolean;
}

function labFlags(o: LabFlags): string[] {
  const flags: string[] = [];
  if (o.repeat !== undefined) flags.push('--repeat', String(o.repeat));
  if (o.seed !== undefined) flags.push('--seed', String(o.seed));
  for (const v of o.variants ?? []) flags.push('--variant', v);
  if (o.keepGoing) flags.push('--keep-going');
  if (o.debug) flags.push('--debug');
  return flags;
}

/**
 * Follows the events of the inner run: enough to give the summary the host
 * runner would have given if the VM is killed before the inner run could say
 * it (SIGINT here: the lab stops at once, so nothing is left to tear down).
 */
class LabProgress {
  summary: ScenarioSummary | null = null;
  private readonly started = Date.now();
  private seed: number | null = null;
  private readonly done: VariantSummary[] = [];
  private current: { variant: string; since: number; runSince: number; seed: number | null; results: RunResult[]; firstMs: number | null } | null = null;

  constructor(private readonly plan: ScenarioPlan) {}

  see(e: ScenarioEvent): void {
    if (e.type === 'scenario-start') this.seed = e.seed;
    else if (e.type === 'variant-start') this.current = { variant: e.variant, since: Date.now(), runSince: 0, seed: null, results: [], firstMs: null };
    else if (e.type === 'run-start' && this.current) {
      this.current.runSince = Date.now() - this.current.since;
      this.current.seed ??= e.seed - e.run + 1;
    } else if (e.type === 'run-end' && this.current) {
      this.current.results.push(e.result);
      if (e.result.reproduced && this.current.firstMs === null) this.current.firstMs = reproducedAtMs(this.current.runSince, e.result);
    } else if (e.type === 'variant-end') {
      this.done.push(e.summary);
      this.current = null;
    } else if (e.type === 'scenario-end') this.summary = e.summary;
  }

  /** The events the host runner emits when a signal stops it: a warning, the partial variant, the summary. */
  interrupted(signal: NodeJS.Signals): ScenarioEvent[] {
    const events: ScenarioEvent[] = [interruptedWarning(signal)];
    const seed = this.seed ?? this.plan.base.seed;
    const current = this.current;
    const plan = current ? this.plan.variants.find((v) => v.variant === current.variant) : undefined;
    const partial = current && plan ? summarise(plan, current.seed ?? seed, current.results, current.firstMs) : null;
    if (partial) events.push({ type: 'variant-end', summary: partial });
    const summaries = partial ? [...this.done, partial] : [...this.done];
    const summary: ScenarioSummary = {
      scenario: this.plan.name,
      file: this.plan.file,
      seed,
      variants: summaries,
      exit_code: signalExitCode(signal),
      interrupted: signal,
      duration_ms: Date.now() - this.started,
      where: 'lab',
    };
    events.push({ type: 'scenario-end', summary });
    return events;
  }
}

/** Splits the inner stdout into lines: events go to `onEvent`, anything else to `other`. */
class EventStream extends Writable {
  private pending = '';

  constructor(
    private readonly onEvent: (event: ScenarioEvent) => void,
    private readonly other: NodeJS.WritableStream,
  ) {
    super({ decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const lines = (this.pending + chunk.toString()).split('\n');
    this.pending = lines.pop() ?? '';
    try {
      for (const line of lines) this.line(line);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
    callback();
  }

  private line(line: string): void {
    const event = decodeEvent(line);
    if (event) this.onEvent(event);
    else if (line.trim() !== '') this.other.write(`${line}\n`);
  }
}

export interface LabRunOptions {
  /** The plan of the scenario (for the summary's file, and to sum up an interrupted run). */
  plan: ScenarioPlan;
  /** The variants to run (they bound how long the lab may take). */
  variants: readonly VariantPlan[];
  /** The options of the inner run, passed as its flags. */
  flags: LabFlags;
  /** Every event of the inner run, as it arrives; the last one is scenario-end. */
  onEvent: (event: ScenarioEvent) => void;
  /** Where the inner run's stderr (and any stray stdout) goes. Default: process.stderr. */
  stderr?: NodeJS.WritableStream;
  /** Stop the VM on SIGINT/SIGTERM (default true); the summary says which signal. */
  handleSignals?: boolean;
}

export interface LabRun {
  /** The inner run's exit code; 128+N after a signal here; 124 on timeout. */
  exitCode: number;
  timedOut: boolean;
  /** How long the lab was given (labTimeoutMs). */
  timeoutMs: number;
  seconds: number;
  /** From the inner run's scenario-end (or summed up here after a signal); null when it never got that far. */
  summary: ScenarioSummary | null;
}

/** Run `qplug scenario <file> <flags> --event-stream` in the lab, turning its output back into events. */
export async function runScenarioInLab(scenario: LabScenario, o: LabRunOptions): Promise<LabRun> {
  const { runInLab } = await import('../../lab/index.js');
  const paths = labPaths(scenario);
  const stderr = o.stderr ?? process.stderr;
  const progress = new LabProgress(o.plan);
  const deliver = (event: ScenarioEvent) => {
    // The inner run saw its own copy of the file (or a file made from text).
    const e: ScenarioEvent = event.type === 'scenario-end' ? { ...event, summary: { ...event.summary, file: o.plan.file } } : event;
    progress.see(e);
    o.onEvent(e);
  };
  const events = new EventStream(deliver, stderr);
  const timeoutMs = labTimeoutMs(o.variants, o.flags.repeat);
  let result;
  try {
    result = await runInLab({
      argv: [process.execPath, QPLUG_BIN, 'scenario', paths.file, ...labFlags(o.flags), EVENT_STREAM_FLAG],
      env: { ...process.env, [IN_LAB_ENV]: '1' },
      cwd: paths.cwd,
      timeoutMs,
      stdout: events,
      stderr,
      handleSignals: o.handleSignals ?? true,
    });
  } finally {
    paths.cleanup();
    events.end();
    await finished(events).catch(() => undefined);
  }
  if (progress.summary === null && result.interrupted) {
    for (const e of progress.interrupted(result.interrupted)) deliver(e);
  }
  return { exitCode: result.exitCode, timedOut: result.timedOut, timeoutMs, seconds: result.seconds, summary: progress.summary };
}

/** Keeps the last of what a stream was given, for an error message. */
class Tail extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text = (this.text + chunk.toString()).slice(-4000);
    callback();
  }
}

/**
 * runScenario's move into the lab: the scenario's file (or its YAML text),
 * the options as flags, the inner events to `emit`. Resolves with the inner
 * run's summary; rejects with E_LAB when the lab gave none (timeout, a crash).
 */
export async function runPlanInLab(
  plan: ScenarioPlan,
  text: string | null,
  o: LabFlags & { variantPlans: readonly VariantPlan[]; handleSignals?: boolean; emit: (event: ScenarioEvent) => void },
): Promise<ScenarioSummary> {
  const scenario: LabScenario | null = plan.file ?? (text === null ? null : { text });
  if (scenario === null) {
    throw new ConfigError('E_SCENARIO', [`${plan.name}: a plan without a file cannot run in the lab: pass its path or its YAML text to runScenario (or lab: 'never')`]);
  }
  const inner = new Tail();
  const r = await runScenarioInLab(scenario, { plan, variants: o.variantPlans, flags: o, onEvent: o.emit, stderr: inner, handleSignals: o.handleSignals });
  if (r.summary) return r.summary;
  const said = inner.text.trim().split('\n').slice(-2).join(' | ');
  if (r.timedOut) throw new EnvironmentError('E_LAB', `${plan.name} did not finish in the lab within ${Math.round(r.timeoutMs / 1000)} s: run fewer or shorter runs (repeat), or run it where the kernel has sch_plug`);
  throw new EnvironmentError('E_LAB', `${plan.name} stopped in the lab without a summary (exit ${r.exitCode})${said ? `: ${said}` : ''}; \`qplug scenario ${plan.file ?? '<file>'} --vm --debug\` shows more`, { details: { exitCode: r.exitCode, stderr: inner.text } });
}
