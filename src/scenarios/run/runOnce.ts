/**
 * One run of one variant: record what will be created, create the hosts,
 * start the services and wait for them, start the load, play the timeline,
 * then tear everything down, whatever happened. Returns the run's verdict.
 */
import { isQplugError } from '../../errors.js';
import { deriveSeed } from '../load/random.js';
import { LoadProcess } from '../load/LoadProcess.js';
import type { LoadPlan, VariantPlan } from '../planTypes.js';
import { ServiceProcess } from '../services/ServiceProcess.js';
import { stepPlugLayout, type PlugLayout, type StepPlan } from '../steps/index.js';
import type { Attempt, ReloadRecord, RunPhase, RunResult, ScenarioEvent } from './events.js';
import { Metrics } from './metrics.js';
import { RunPlugs } from './plugs.js';
import { abortableSleep, runCommand } from './proc.js';
import { deleteNamespaces, removeRunRecord, writeRunRecord } from './record.js';
import { StepFailure, type StepRunContext } from './stepContext.js';
import { runTimeline, waitForCondition } from './timeline.js';
import { PlugWindows } from './plugWindows.js';
import { createTopology, plannedNamespaces } from './topology.js';

export interface RunOnceOptions {
  scenario: string;
  variant: VariantPlan;
  /** From 1. */
  run: number;
  runs: number;
  /** Names the run's namespaces and its record (newRunId()). */
  runId: string;
  seed: number;
  /** Aborted on SIGINT/SIGTERM: the run stops and tears down. */
  signal: AbortSignal;
  emit(event: ScenarioEvent): void;
}

/** Node's start-up inside the lab's emulated CPU takes seconds: generators get this long to say they are ready. */
const LOAD_START_TIMEOUT_MS = 60_000;

/** The first plug of each host/dev in the timeline: the layout (match, limit) the run attaches before it starts. */
function firstPlugLayouts(timeline: readonly StepPlan[]): PlugLayout[] {
  const first = new Map<string, PlugLayout>();
  for (const step of timeline) {
    const layout = stepPlugLayout(step);
    if (layout && !first.has(`${layout.host}/${layout.dev}`)) first.set(`${layout.host}/${layout.dev}`, layout);
  }
  return [...first.values()];
}

export async function runOnce(o: RunOnceOptions): Promise<RunResult> {
  const plan = o.variant;
  const base = { variant: plan.variant, run: o.run };
  const runId = o.runId;
  const started = Date.now();
  const namespaces = plannedNamespaces(plan.topology, runId);
  const netnsOf = (host: string) => namespaces.get(host) ?? host;
  const metrics = new Metrics(plan.load.map((l) => l.name));
  const metricListeners = new Set<() => void>();
  const services = new Map<string, ServiceProcess>();
  const loads: LoadProcess[] = [];
  const marks: { name: string; atMs: number }[] = [];
  const reloads: ReloadRecord[] = [];
  const warnings: string[] = [];
  let t0: number | null = null;
  const atMs = () => (t0 === null ? 0 : Date.now() - t0);
  let signatureSeenAtMs: number | null = null;
  let phase = 'topology' as RunPhase;
  const setPhase = (p: RunPhase) => { phase = p; o.emit({ type: 'phase', ...base, phase: p }); };
  const controller = new AbortController();
  const signal = AbortSignal.any([o.signal, controller.signal]);

  const noteSignature = () => {
    if (signatureSeenAtMs === null && plan.signature.length > 0 && plan.signature.every((e) => metrics.holds(e))) signatureSeenAtMs = Date.now() - started;
  };
  const onAttempts = (attempts: Attempt[]) => {
    for (const a of attempts) metrics.record(a);
    o.emit({ type: 'attempts', ...base, attempts });
    noteSignature();
    for (const fn of metricListeners) fn();
  };
  const plugWindows = new PlugWindows();
  const plugs = new RunPlugs(netnsOf, (host, dev, state, match) => {
    const e = { type: 'plug', ...base, host, dev, state, match, atMs: atMs() } as const;
    plugWindows.add(e);
    o.emit(e);
  });
  const service = (name: string) => {
    const s = services.get(name);
    if (!s) throw new StepFailure(`service '${name}' is not running in this run`);
    return s;
  };
  const context: StepRunContext = {
    signal,
    plug: (host, dev, options) => plugs.plug(host, dev, options),
    release: (host, dev) => plugs.release(host, dev),
    releaseOne: (host, dev) => plugs.releaseOne(host, dev),
    service,
    exec: (host, command, env, timeoutMs) => runCommand(['ip', 'netns', 'exec', netnsOf(host), ...command.argv], { env: { ...process.env, ...env }, timeoutMs, signal }),
    waitFor: (condition) =>
      waitForCondition(condition, { metrics, service, onMetrics: (fn) => { metricListeners.add(fn); return () => metricListeners.delete(fn); } }, signal),
    sleep: (ms) => abortableSleep(ms, signal),
    mark: (name) => { marks.push({ name, atMs: atMs() }); o.emit({ type: 'mark', ...base, name, atMs: atMs() }); },
  };

  let error: string | null = null;
  let environmentError = false;
  let timeline: Promise<void> = Promise.resolve();
  let counterTimer: NodeJS.Timeout | undefined;
  // Written before anything exists: a kill -9 from here on leaves a record the next run cleans up after.
  writeRunRecord({ runId, scenario: o.scenario, variant: plan.variant, run: o.run, namespaces: [...namespaces.values()] });
  try {
    setPhase('topology');
    await createTopology(plan.topology, runId);
    // Every device's first plug layout, attached now (pass-through) rather than at its step's time.
    for (const step of firstPlugLayouts(plan.timeline)) await plugs.prepare(step.host, step.dev, step);
    // The load processes start beside the services (each Node process takes its time, ~0.7 s in
    // the lab); they send nothing before go(t0).
    const byHost = new Map<string, LoadPlan[]>();
    for (const l of plan.load) byHost.set(l.from, [...(byHost.get(l.from) ?? []), l]);
    for (const [host, list] of byHost) loads.push(new LoadProcess(host, netnsOf(host), list, deriveSeed(o.seed, host), onAttempts));
    const loadsStarted = Promise.all(loads.map((l) => l.start(LOAD_START_TIMEOUT_MS)));
    loadsStarted.catch(() => undefined); // awaited in the load phase; teardown stops them either way
    setPhase('services');
    for (const s of plan.services) {
      signal.throwIfAborted();
      const onReload = (r: Omit<ReloadRecord, 'service' | 'atMs'>) => {
        const record: ReloadRecord = { service: s.name, ...r, atMs: atMs() };
        reloads.push(record);
        o.emit({ type: 'reload', ...base, ...record });
      };
      const onCounters = (counters: Readonly<Record<string, number>>) => {
        metrics.recordService(s.name, counters);
        noteSignature();
        for (const fn of metricListeners) fn();
      };
      const sp = new ServiceProcess(s, netnsOf(s.host), (state, pid, detail) => o.emit({ type: 'service', ...base, service: s.name, state, pid, detail }), onReload, onCounters);
      services.set(s.name, sp);
      await sp.start(signal);
    }
    setPhase('load');
    await loadsStarted;
    signal.throwIfAborted();
    setPhase('timeline');
    t0 = Date.now();
    for (const l of loads) l.go(t0);
    counterTimer = setInterval(() => o.emit({ type: 'counters', ...base, atMs: atMs(), counters: metrics.snapshot() }), 250);
    timeline = runTimeline(plan.timeline, {
      t0,
      signal,
      context,
      onStart: (step: StepPlan) => o.emit({ type: 'step-start', ...base, index: step.index, step: step.type, atMs: atMs() }),
      onEnd: (step: StepPlan, e) => o.emit({ type: 'step-end', ...base, index: step.index, step: step.type, atMs: atMs(), error: e ? e.message : null }),
    });
    const loadsDone = Promise.all(loads.map((l) => l.finished)).catch((e: Error) => { throw Object.assign(e, { environment: true }); });
    await Promise.all([timeline, loadsDone, abortableSleep(t0 + plan.durationMs - Date.now(), signal)]);
  } catch (e) {
    const err = e as Error & { environment?: boolean };
    if (!o.signal.aborted) {
      error = phase === 'timeline' ? err.message : `${phase}: ${err.message}`;
      const cause = (err.cause ?? err) as unknown;
      environmentError = phase !== 'timeline' || err.environment === true || (isQplugError(cause) && !(cause instanceof StepFailure));
    }
  } finally {
    clearInterval(counterTimer);
    setPhase('teardown');
    controller.abort(new Error('the run is over'));
    await timeline.catch(() => undefined);
    for (const s of services.values()) s.thaw();
    warnings.push(...(await plugs.teardown()));
    await Promise.all(loads.map((l) => l.stop()));
    for (const s of [...services.values()].reverse()) await s.stop();
    const names = [...namespaces.values()];
    await deleteNamespaces(names);
    const left = (await runCommand(['ip', 'netns', 'list'], { timeoutMs: 30_000 }).catch(() => undefined))?.stdout ?? '';
    const remaining = names.filter((n) => new RegExp(`^${n}( |$)`, 'm').test(left));
    if (remaining.length === 0) removeRunRecord(runId);
    else warnings.push(`could not delete namespaces ${remaining.join(', ')}: the next run retries`);
  }
  for (const w of warnings) o.emit({ type: 'warning', ...base, message: w });

  const expectations = plan.expect.map((e) => metrics.evaluate(e.expression, e.because));
  const signature = plan.signature.map((e) => metrics.evaluate(e));
  const signatureSeen = signature.length === 0 ? null : signature.every((r) => r.held);
  if (signatureSeen && signatureSeenAtMs === null) signatureSeenAtMs = Date.now() - started;
  const allHeld = expectations.every((r) => r.held);
  // Without a signature, failed expectations are the bug; a run that broke down shows nothing.
  const reproduced = signatureSeen ?? (error === null && !allHeld);
  const passed = error === null && (plan.role === 'bug' ? signatureSeen === true : allHeld && signatureSeen !== true);
  const c = metrics.countersOf(null);
  return {
    ...base,
    role: plan.role,
    runId,
    seed: o.seed,
    durationMs: Date.now() - started,
    outcomes: metrics.outcomes(),
    attempts: c.attempts,
    latency: metrics.histogramOf(null).summary(),
    load: Object.fromEntries(metrics.loads().map((l) => [l, { counters: metrics.countersOf(l), latency: metrics.histogramOf(l).summary() }])),
    signatureSeen,
    signatureSeenAtMs: signatureSeen ? signatureSeenAtMs : null,
    signature,
    expectations,
    reproduced,
    passed,
    error,
    environmentError,
    marks,
    reloads,
    plugWindows: plugWindows.windows(),
    warnings,
  };
}
