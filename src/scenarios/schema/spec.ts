/**
 * A small schema language: the single source of truth for the scenario file.
 * The same specs drive the located checker (check.ts) and the JSON Schema
 * (jsonSchema.ts), so the editor's schema and qplug's errors cannot drift.
 */

interface Common {
  description?: string;
  /** Filled by the checker when the key is absent; shown in the JSON Schema. */
  default?: unknown;
  /** Written once under $defs in the JSON Schema, and referred to. */
  ref?: string;
}

export interface StringSpec extends Common {
  kind: 'string';
  /** For the JSON Schema only; the checker uses `validate`. */
  pattern?: string;
  minLength?: number;
  examples?: string[];
  /** What is wrong with the value, or undefined when it is fine. */
  validate?: (value: string) => string | undefined;
}
export interface IntegerSpec extends Common {
  kind: 'integer';
  min: number;
  max: number;
}
export interface NumberSpec extends Common {
  kind: 'number';
  min: number;
  max?: number;
}
export interface BooleanSpec extends Common {
  kind: 'boolean';
}
/** "250ms", "2s", or a bare number of seconds; checked to milliseconds. */
export interface DurationSpec extends Common {
  kind: 'duration';
  positive?: boolean;
}
/** "64k", "1m", or bytes; checked to bytes. */
export interface SizeSpec extends Common {
  kind: 'size';
}
export interface EnumSpec extends Common {
  kind: 'enum';
  values: readonly string[];
  /** YAML's null (`role: null`) reads as this value. */
  nullAs?: string;
}
export interface ArraySpec extends Common {
  kind: 'array';
  items: Spec;
  minItems?: number;
  maxItems?: number;
}
/** A map keyed by names the user chooses (services:, hosts:). */
export interface MapSpec extends Common {
  kind: 'map';
  values: Spec;
  keyPattern: string;
  keyRule: string;
  minEntries?: number;
}
export interface ObjectSpec extends Common {
  kind: 'object';
  fields: Record<string, Spec>;
  required?: readonly string[];
  /** Each group: exactly one of these keys. */
  exactlyOne?: ReadonlyArray<readonly string[]>;
  /** Each group: at most one of these keys. */
  atMostOne?: ReadonlyArray<readonly string[]>;
  /** Keys outside `fields` are kept (checked by someone else) instead of refused. */
  open?: boolean;
  /** Words for messages: "a service", "a readiness check". */
  what?: string;
}
/** Objects told apart by one field (`type:`): steps, services, load generators. */
export interface TaggedSpec extends Common {
  kind: 'tagged';
  tag: string;
  /** "step type", "service type": for messages. */
  what: string;
  /** Lazy: step types register themselves after the schema module loads. */
  variants: () => Record<string, ObjectSpec>;
  /** Fields every variant has (at:, after:, note: for steps). */
  common?: Record<string, Spec>;
}
/** One of several shapes, chosen by the kind of YAML node (text, number, map, list). */
export interface UnionSpec extends Common {
  kind: 'union';
  options: Spec[];
}
/** Anything; checked elsewhere (a variant's replacement values). */
export interface AnySpec extends Common {
  kind: 'any';
}

export type Spec =
  | StringSpec
  | IntegerSpec
  | NumberSpec
  | BooleanSpec
  | DurationSpec
  | SizeSpec
  | EnumSpec
  | ArraySpec
  | MapSpec
  | ObjectSpec
  | TaggedSpec
  | UnionSpec
  | AnySpec;

type Opt<T> = Omit<T, 'kind'>;

export const str = (o: Opt<StringSpec> = {}): StringSpec => ({ kind: 'string', ...o });
export const int = (o: Opt<IntegerSpec>): IntegerSpec => ({ kind: 'integer', ...o });
export const num = (o: Opt<NumberSpec>): NumberSpec => ({ kind: 'number', ...o });
export const bool = (o: Opt<BooleanSpec> = {}): BooleanSpec => ({ kind: 'boolean', ...o });
export const duration = (o: Opt<DurationSpec> = {}): DurationSpec => ({ kind: 'duration', ref: 'duration', ...o });
export const size = (o: Opt<SizeSpec> = {}): SizeSpec => ({ kind: 'size', ref: 'size', ...o });
export const oneOf = (values: readonly string[], o: Opt<Omit<EnumSpec, 'values'>> = {}): EnumSpec => ({ kind: 'enum', values, ...o });
export const list = (items: Spec, o: Opt<Omit<ArraySpec, 'items'>> = {}): ArraySpec => ({ kind: 'array', items, ...o });
export const named = (values: Spec, o: Opt<Omit<MapSpec, 'values'>>): MapSpec => ({ kind: 'map', values, ...o });
export const obj = (fields: Record<string, Spec>, o: Opt<Omit<ObjectSpec, 'fields'>> = {}): ObjectSpec => ({ kind: 'object', fields, ...o });
export const union = (options: Spec[], o: Opt<Omit<UnionSpec, 'options'>> = {}): UnionSpec => ({ kind: 'union', options, ...o });
export const any = (o: Opt<AnySpec> = {}): AnySpec => ({ kind: 'any', ...o });

/** A spec with another description (shared specs described per use). */
export function described<S extends Spec>(spec: S, description: string): S {
  return { ...spec, description };
}

/** A short human phrase for the kind of value a spec wants, for messages. */
export function expected(spec: Spec): string {
  switch (spec.kind) {
    case 'string':
      return spec.examples?.[0] ? `a string such as '${spec.examples[0]}'` : 'a string';
    case 'integer':
      return `a whole number from ${spec.min} to ${spec.max}`;
    case 'number':
      return `a number from ${spec.min}${spec.max === undefined ? '' : ` to ${spec.max}`}`;
    case 'boolean':
      return 'true or false';
    case 'duration':
      return 'a duration such as 250ms, 2s or 1m (a bare number is seconds)';
    case 'size':
      return 'a size such as 64k or 1m (binary units), or bytes';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'array':
      return 'a list';
    case 'map':
    case 'object':
    case 'tagged':
      return 'a map';
    case 'union':
      return spec.options.map(expected).join(', or ');
    case 'any':
      return 'a value';
  }
}
