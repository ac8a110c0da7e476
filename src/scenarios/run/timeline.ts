/**
 * The timeline of one run. Every step waits for its trigger: `at` (that long
 * after t0), `after` (a condition), or `sequence` (the step before it in the
 * list has finished); steps whose triggers fire together run concurrently.
 * The first step to fail aborts the rest.
 */
import { stepDefinition, type StepPlan } from '../steps/index.js';
import type { Condition } from '../planTypes.js';
import type { Metrics } from './metrics.js';
import { abortableSleep } from './proc.js';
import type { StepRunContext } from './stepContext.js';
import type { ServiceProcess } from '../services/ServiceProcess.js';

export interface TimelineHooks {
  t0: number;
  signal: AbortSignal;
  context: StepRunContext;
  onStart(step: StepPlan): void;
  onEnd(step: StepPlan, error: Error | null): void;
}

/** Resolves when every step has run; rejects with the first step's failure. */
export async function runTimeline(steps: readonly StepPlan[], hooks: TimelineHooks): Promise<void> {
  const controller = new AbortController();
  const signal = AbortSignal.any([hooks.signal, controller.signal]);
  const context: StepRunContext = { ...hooks.context, signal };
  const done: Promise<void>[] = [];
  let first: Error | undefined;
  steps.forEach((step, i) => {
    const previous = i === 0 ? Promise.resolve() : done[i - 1]!;
    const run = (async () => {
      const t = step.trigger;
      if (t.kind === 'at') await abortableSleep(hooks.t0 + t.atMs - Date.now(), signal);
      else if (t.kind === 'after') await context.waitFor(t.condition);
      else await previous;
      signal.throwIfAborted();
      const definition = stepDefinition(step.type);
      if (!definition) throw new Error(`no runner for step type '${step.type}'`);
      hooks.onStart(step);
      try {
        await definition.run(step, context);
        hooks.onEnd(step, null);
      } catch (error) {
        hooks.onEnd(step, error as Error);
        throw error;
      }
    })();
    run.catch((error: Error) => {
      if (!first && !signal.aborted) {
        first = new Error(`timeline[${step.index}] (${step.type}): ${error.message}`, { cause: error });
        controller.abort(first);
      }
    });
    done.push(run);
  });
  await Promise.allSettled(done);
  if (first) throw first;
  hooks.signal.throwIfAborted();
}

/** How a condition is watched: metrics from the load, services from the run. */
export interface ConditionSources {
  metrics: Metrics;
  service(name: string): ServiceProcess;
  /** Called whenever new attempts arrive. */
  onMetrics(fn: () => void): () => void;
}

export async function waitForCondition(condition: Condition, sources: ConditionSources, signal: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(condition.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const describe = (): string => {
    switch (condition.kind) {
      case 'ready': return `service '${condition.service}' ready`;
      case 'exited': return `service '${condition.service}' exited`;
      case 'metric': return `${condition.expression.text}`;
      case 'output': return `output of '${condition.service}' matching /${condition.pattern}/`;
    }
  };
  try {
    switch (condition.kind) {
      case 'ready': {
        const service = sources.service(condition.service);
        while (!service.ready) await abortableSleep(50, both);
        return;
      }
      case 'exited': {
        const service = sources.service(condition.service);
        while (!service.exited) await abortableSleep(50, both);
        return;
      }
      case 'output':
        await sources.service(condition.service).waitForOutput(new RegExp(condition.pattern), both);
        return;
      case 'metric': {
        if (sources.metrics.holds(condition.expression)) return;
        await new Promise<void>((resolve, reject) => {
          const off = sources.onMetrics(() => {
            if (sources.metrics.holds(condition.expression)) { off(); both.removeEventListener('abort', onAbort); resolve(); }
          });
          const onAbort = () => { off(); reject(both.reason as Error); };
          both.addEventListener('abort', onAbort, { once: true });
        });
        return;
      }
    }
  } catch (error) {
    signal.throwIfAborted();
    if (timeout.aborted) throw new Error(`waited ${condition.timeoutMs} ms for ${describe()}: it did not happen`);
    throw error;
  }
}
