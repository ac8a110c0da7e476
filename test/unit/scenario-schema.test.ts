/** The JSON Schema is generated from the TS specs and committed; the step registry is complete. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenarios/schema/jsonSchema.js';
import { stepDefinition, stepTypes } from '../../src/scenarios/steps/index.js';
import { closest, didYouMean } from '../../src/text/didYouMean.js';
import { parseExpression } from '../../src/scenarios/expression.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('scenario.schema.json', () => {
  it('is up to date with src/scenarios/schema (else: npm run build:ts && node scripts/gen-scenario-schema.mjs)', () => {
    expect(readFileSync(join(root, 'scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('lists every step type, with its fields', () => {
    const schema = scenarioJsonSchema() as { properties: { timeline: { items: { allOf: Array<{ if: { properties: { type: { const: string } } }; then: { properties: object } }> } } } };
    const branches = schema.properties.timeline.items.allOf;
    expect(branches.map((b) => b.if.properties.type.const)).toEqual(stepTypes());
    const plug = branches.find((b) => b.if.properties.type.const === 'plug')!;
    expect(Object.keys(plug.then.properties)).toEqual(['type', 'at', 'after', 'note', 'host', 'dev', 'match', 'max_hold', 'limit']);
  });

  // ajv (draft-07 era) comes with eslint; the keywords used here read the same in 2020-12.
  const require = createRequire(import.meta.url);
  let Ajv: (new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } }) | undefined;
  try {
    Ajv = require('ajv');
  } catch {
    Ajv = undefined;
  }
  it.skipIf(Ajv === undefined)('accepts the shipped scenarios and refuses a broken one (skipped: ajv is not installed)', () => {
    const schema: Record<string, unknown> = { ...scenarioJsonSchema() };
    delete schema.$schema;
    const validate = new Ajv!({ allErrors: true }).compile(schema);
    for (const file of readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.yaml'))) {
      expect(validate(parse(readFileSync(join(root, 'scenarios', file), 'utf8'))), file).toBe(true);
    }
    expect(validate(parse(readFileSync(join(root, 'test/unit/fixtures/scenarios/broken.yaml'), 'utf8')))).toBe(false);
  });
});

describe('the step registry', () => {
  it('has one file per step type in src/scenarios/steps/, each registering itself', () => {
    const files = readdirSync(join(root, 'src', 'scenarios', 'steps'))
      .filter((f) => !['index.ts', 'registry.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(stepTypes().sort()).toEqual(files.sort());
    expect(stepTypes()).toEqual(['plug', 'release', 'release_one', 'pulse', 'reload', 'signal', 'freeze', 'thaw', 'sleep', 'wait', 'exec', 'mark']);
    for (const type of stepTypes()) expect(stepDefinition(type)!.summary.length).toBeGreaterThan(10);
  });
});

describe('did you mean', () => {
  it('suggests a close word, or lists the known ones', () => {
    expect(closest('plgu', ['plug', 'pulse'])).toBe('plug');
    expect(didYouMean('reload-strategy', ['reload_strategy', 'host'])).toBe("did you mean 'reload_strategy'?");
    expect(didYouMean('zzz', ['a', 'b'], 'known')).toBe('known: a, b');
  });
});

describe('expressions', () => {
  it('counters, latencies, per generator or all of them', () => {
    expect(parseExpression('reset > 0')).toMatchObject({ load: null, metric: 'reset', stat: null, op: '>', value: 0 });
    expect(parseExpression('http.latency.p99 <= 1.5s')).toMatchObject({ load: 'http', metric: 'latency', stat: 'p99', op: '<=', value: 1500 });
    expect(parseExpression('latency.max < 200ms')).toMatchObject({ load: null, metric: 'latency', stat: 'max' });
    expect(parseExpression('http.resets > 0')).toMatch(/invalid metric 'http.resets'/);
    expect(parseExpression('reset > 1ms')).toMatch(/a count is a whole number/);
    expect(parseExpression('reset')).toMatch(/expected <metric> <op> <value>/);
  });
});
