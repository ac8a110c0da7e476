/**
 * Step types register themselves here, one file each (steps/<type>.ts): the
 * fields the step takes (its spec, which also feeds the JSON Schema) and the
 * normaliser that turns a checked step into its plan form, and what it does in
 * a run (`run`, given the run's context; run/ loads nothing native until a
 * step needs it, so validation works without the addon).
 */
import type { Checked } from '../check.js';
import type { Command, Condition, ReloadMethod, ServiceType, StepBase } from '../planTypes.js';
import { deviceSpec, nameSpec } from '../schema/common.js';
import type { ObjectSpec, Spec } from '../schema/spec.js';
import type { StepRunContext } from '../run/stepContext.js';

/** What a normaliser may ask about the rest of the scenario; every lookup reports its own problem. */
export interface StepContext {
  /** A problem at one field of the step (null: the step itself). */
  report(field: string | null, message: string): void;
  /** The step's `host`, or the only host when it names none. */
  host(draft: Checked): string | undefined;
  /** The step's `host` and `dev` (or those of its object field `under`, e.g. a reload's hold), the device checked against that host. */
  hostDevice(draft: Checked, under?: string): { host: string; dev: string } | undefined;
  /** The service named by `field` (default `service`). */
  service(draft: Checked, field?: string): { name: string; type: ServiceType; reload: ReloadMethod } | undefined;
  /** A condition (after:, until:), its services and load generators checked. */
  condition(draft: unknown, field: string): Condition | undefined;
  /** `argv` or `shell`, as the argv to run. */
  command(draft: Checked): Command | undefined;
}

/** The step's own fields; index, trigger and note are the timeline's. */
export type StepFields<T extends StepBase> = Omit<T, 'index' | 'trigger' | 'note'>;

/** A plug a step puts in: the layout a run attaches (pass-through) before its timeline. */
export interface PlugLayout {
  readonly host: string;
  readonly dev: string;
  readonly match: string | null;
  readonly limitBytes: number | null;
}

export interface StepDefinition<T extends StepBase = StepBase> {
  readonly type: T['type'];
  /** One line, for docs and --help. */
  readonly summary: string;
  /** The fields besides type/at/after/note. */
  readonly spec: ObjectSpec;
  /** The plan form, or undefined when the context reported a problem. */
  readonly normalise: (draft: Checked, ctx: StepContext) => StepFields<T> | undefined;
  /** Do the step; resolves when it is over (the next sequence step starts then). Throwing fails the run. */
  readonly run: (step: T, ctx: StepRunContext) => Promise<void>;
  /** The plug this step puts in, if any. */
  readonly plugLayout?: (step: T) => PlugLayout | null;
  /** The step works a plug without putting one in (a release): it needs sch_plug too. */
  readonly releasesPlug?: true;
}

/** Whether a step needs sch_plug: it puts in a plug or releases one. */
export function stepNeedsPlug(step: StepBase): boolean {
  const d = registry.get(step.type);
  return d !== undefined && (d.releasesPlug === true || (d.plugLayout?.(step) ?? null) !== null);
}

/** The plug a step puts in, if any. */
export function stepPlugLayout(step: StepBase): PlugLayout | null {
  return registry.get(step.type)?.plugLayout?.(step) ?? null;
}

const registry = new Map<string, StepDefinition>();

export function defineStep<T extends StepBase>(definition: StepDefinition<T>): StepDefinition<T> {
  if (registry.has(definition.type)) throw new Error(`step type '${definition.type}' registered twice`);
  registry.set(definition.type, definition as unknown as StepDefinition);
  return definition;
}

export function stepDefinition(type: string): StepDefinition | undefined {
  return registry.get(type);
}

/** Known step types, in registration order. */
export function stepTypes(): string[] {
  return [...registry.keys()];
}

/** type -> the step's object spec, for the checker and the JSON Schema. */
export function stepSpecs(): Record<string, ObjectSpec> {
  return Object.fromEntries([...registry].map(([type, d]) => [type, { ...d.spec, description: d.summary }]));
}

/** `host` and `dev` fields, shared by the plug steps. */
export const hostField: Spec = nameSpec('host (default: the only host; required when there are several)');
export const deviceFields: Record<string, Spec> = { host: hostField, dev: deviceSpec };
