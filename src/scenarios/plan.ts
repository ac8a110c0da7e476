/**
 * A checked document -> the normalised run plan. Cross-checks happen here:
 * names a step uses must exist, `at` must fall within the duration, each step
 * type's own normaliser (steps/<type>.ts) builds its plan form.
 */
import type { Checked } from './check.js';
import { PlanContext, commandOf } from './context.js';
import type { Located } from './located.js';
import type { Expectation, RunPlan, StepBase, Trigger } from './planTypes.js';
import { planLoad, planRequires, planServices, type SourceInfo } from './services.js';
import { stepDefinition, type StepContext, type StepPlan } from './steps/index.js';
import { planTopology } from './topology.js';
import { formatDuration } from '../plug/units.js';

export function buildRunPlan(d: Checked, loc: Located, source: SourceInfo): RunPlan {
  const durationMs = (d.duration as number | undefined) ?? 10_000;
  const ctx = new PlanContext(loc, durationMs);
  const topology = planTopology(d.topology as Checked | undefined, ctx);
  const services = planServices((d.services as Record<string, unknown> | undefined) ?? {}, ctx, source);
  const load = planLoad((d.load as Record<string, unknown> | undefined) ?? {}, ctx);
  const timeline = planTimeline((d.timeline as unknown[] | undefined) ?? [], ctx);
  const expect: Expectation[] = [];
  ((d.expect as unknown[] | undefined) ?? []).forEach((item, i) => {
    const that = typeof item === 'object' && item !== null ? (item as Checked).that : item;
    const because = typeof item === 'object' && item !== null ? ((item as Checked).because as string | undefined) ?? null : null;
    const expression = ctx.expression(that, typeof item === 'object' ? ['expect', i, 'that'] : ['expect', i]);
    if (expression) expect.push({ expression, because });
  });
  return {
    name: String(d.name ?? ''),
    description: String(d.description ?? ''),
    requires: planRequires(d.requires),
    durationMs,
    repeat: (d.repeat as number | undefined) ?? 1,
    seed: (d.seed as number | undefined) ?? 1,
    topology,
    services,
    load,
    timeline,
    expect,
    signature: ctx.expressions(d.signature, ['signature']) ?? [],
  };
}

function planTimeline(drafts: unknown[], ctx: PlanContext): StepPlan[] {
  const steps: StepPlan[] = [];
  drafts.forEach((raw, index) => {
    if (!raw || typeof raw !== 'object') return;
    const d = raw as Checked;
    const path = ['timeline', index];
    const definition = typeof d.type === 'string' ? stepDefinition(d.type) : undefined;
    if (!definition) return;
    const trigger = triggerOf(d, ctx, path);
    const stepCtx: StepContext = {
      report: (field, message) => ctx.report(field === null ? path : [...path, field], message),
      host: (draft) => ctx.host(draft.host, [...path, 'host']),
      hostDevice: (draft, under) => {
        const at = under === undefined ? path : [...path, under];
        const host = ctx.host(draft.host, [...at, 'host']);
        const dev = host && ctx.device(host, draft.dev, [...at, 'dev']);
        return host && dev ? { host, dev } : undefined;
      },
      service: (draft, field = 'service') => ctx.service(draft[field], [...path, field]),
      condition: (draft, field) => ctx.condition(draft, [...path, field]),
      command: (draft) => commandOf(draft),
    };
    const fields = definition.normalise(d, stepCtx);
    if (!fields || !trigger) return;
    const base: Omit<StepBase, 'type'> = { index, trigger, note: typeof d.note === 'string' ? d.note : null };
    steps.push({ ...fields, ...base } as StepPlan);
  });
  return steps;
}

function triggerOf(d: Checked, ctx: PlanContext, path: ReadonlyArray<string | number>): Trigger | undefined {
  if (d.at !== undefined && d.after !== undefined) {
    ctx.report([...path, 'after'], 'give either at: (a time) or after: (a condition), not both');
    return undefined;
  }
  if (typeof d.at === 'number') {
    if (d.at > ctx.durationMs) {
      ctx.report([...path, 'at'], `at ${formatDuration(d.at)} is beyond the scenario's duration (${formatDuration(ctx.durationMs)}): raise duration: or move the step earlier`);
      return undefined;
    }
    return { kind: 'at', atMs: d.at };
  }
  if (d.after !== undefined) {
    const condition = ctx.condition(d.after, [...path, 'after']);
    return condition && { kind: 'after', condition };
  }
  return { kind: 'sequence' };
}

/** Object.freeze, all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
