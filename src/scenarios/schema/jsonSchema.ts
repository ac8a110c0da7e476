/**
 * The specs as JSON Schema (draft 2020-12), for editors: `scenario.schema.json`
 * at the package root is this, written by scripts/gen-scenario-schema.mjs and
 * checked by a unit test so the committed file never goes stale.
 */
import { scenarioSpec } from './scenario.js';
import type { ObjectSpec, Spec } from './spec.js';

type Json = Record<string, unknown>;

const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)?\\s*$';
const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG]?[iI]?[bB]?)\\s*$';

function meta(spec: Spec): Json {
  return {
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.default === undefined ? {} : { default: spec.default }),
  };
}

function groups(spec: ObjectSpec): Json[] {
  const rules: Json[] = [];
  for (const group of spec.exactlyOne ?? []) rules.push({ oneOf: group.map((k) => ({ required: [k] })) });
  for (const group of spec.atMostOne ?? []) {
    const pairs = group.flatMap((a, i) => group.slice(i + 1).map((b) => ({ required: [a, b] })));
    rules.push({ not: { anyOf: pairs } });
  }
  return rules;
}

function object(spec: ObjectSpec, extra: Record<string, Spec> = {}): Json {
  const fields = { ...extra, ...spec.fields };
  const rules = groups(spec);
  return {
    type: 'object',
    ...meta(spec),
    properties: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, toJsonSchema(v)])),
    ...(spec.required?.length ? { required: [...spec.required] } : {}),
    additionalProperties: spec.open === true,
    ...(rules.length ? { allOf: rules } : {}),
  };
}

let defs: Record<string, Json> | null = null;

export function toJsonSchema(spec: Spec): Json {
  if (spec.ref !== undefined && defs !== null) {
    if (!(spec.ref in defs)) {
      defs[spec.ref] = {};
      defs[spec.ref] = inline({ ...spec, description: undefined, default: undefined, ref: undefined } as Spec);
    }
    return { $ref: `#/$defs/${spec.ref}`, ...meta(spec) };
  }
  return inline(spec);
}

function inline(spec: Spec): Json {
  switch (spec.kind) {
    case 'string':
      return {
        type: 'string',
        ...meta(spec),
        ...(spec.pattern ? { pattern: spec.pattern } : {}),
        ...(spec.minLength ? { minLength: spec.minLength } : {}),
        ...(spec.examples ? { examples: spec.examples } : {}),
      };
    case 'integer':
      return { type: 'integer', ...meta(spec), minimum: spec.min, maximum: spec.max };
    case 'number':
      return { type: 'number', ...meta(spec), minimum: spec.min, ...(spec.max === undefined ? {} : { maximum: spec.max }) };
    case 'boolean':
      return { type: 'boolean', ...meta(spec) };
    case 'duration':
      return { ...meta(spec), anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'number', minimum: 0, description: 'seconds' }] };
    case 'size':
      return { ...meta(spec), anyOf: [{ type: 'string', pattern: SIZE_PATTERN }, { type: 'integer', minimum: 0, description: 'bytes' }] };
    case 'enum':
      return { ...meta(spec), enum: spec.nullAs === undefined ? [...spec.values] : [...spec.values, null] };
    case 'array':
      return {
        type: 'array',
        ...meta(spec),
        items: toJsonSchema(spec.items),
        ...(spec.minItems === undefined ? {} : { minItems: spec.minItems }),
        ...(spec.maxItems === undefined ? {} : { maxItems: spec.maxItems }),
      };
    case 'map':
      return {
        type: 'object',
        ...meta(spec),
        propertyNames: { pattern: spec.keyPattern },
        additionalProperties: toJsonSchema(spec.values),
        ...(spec.minEntries === undefined ? {} : { minProperties: spec.minEntries }),
      };
    case 'object':
      return object(spec);
    case 'tagged': {
      const variants = spec.variants();
      const tag = { kind: 'enum', values: Object.keys(variants), description: `The ${spec.what}.` } as const;
      return {
        type: 'object',
        ...meta(spec),
        required: [spec.tag],
        properties: { [spec.tag]: toJsonSchema(tag) },
        // One if/then per type: editors then show the right fields for the type written.
        allOf: Object.entries(variants).map(([name, variant]) => ({
          if: { properties: { [spec.tag]: { const: name } }, required: [spec.tag] },
          then: object(variant, { [spec.tag]: { kind: 'enum', values: [name] }, ...spec.common }),
        })),
      };
    }
    case 'union':
      return { ...meta(spec), anyOf: spec.options.map(toJsonSchema) };
    case 'any':
      return { ...meta(spec) };
  }
}

export function scenarioJsonSchema(): Json {
  defs = {};
  try {
    const root = toJsonSchema(scenarioSpec);
    const sorted = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
    return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'qplug scenario', ...root, $defs: sorted };
  } finally {
    defs = null;
  }
}

/** Exactly the text of scenario.schema.json. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
