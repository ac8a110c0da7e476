/** Every scenario shipped in scenarios/ validates, and is listed. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseScenario } from '../../src/scenarios/load.js';
import { listShippedScenarios } from '../../src/scenarios/list.js';
import { shippedFiles } from '../../src/scenarios/shipped.js';

const files = shippedFiles();

describe('shipped scenarios', () => {
  it('there is at least the example', () => {
    expect(files.map((f) => basename(f))).toContain('example-freeze.yaml');
  });

  it.each(files.map((f) => [basename(f), f]))('%s validates, and names itself after its file', (name, file) => {
    const plan = parseScenario(readFileSync(file, 'utf8'), { file });
    expect(`${plan.name}.yaml`).toBe(name);
    expect(plan.description).not.toBe('');
    expect(plan.variants.length).toBeGreaterThan(0);
  });

  it('list gives name, first line of the description and variants, and no problems', () => {
    const list = listShippedScenarios();
    expect(list).toHaveLength(files.length);
    for (const s of list) expect(s.problems).toEqual([]);
    expect(list.find((s) => s.name === 'example-freeze')?.summary).toMatch(/^Hold new connections for 2 s/);
  });
});

describe('docs/scenarios.md', () => {
  const docs = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');

  it('its first example is a valid scenario', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';
    expect(parseScenario(example).variants.map((v) => v.variant)).toEqual(['short-timeout', 'long-timeout', 'control']);
  });

  it('documents every step type and every top-level key', async () => {
    const { stepTypes } = await import('../../src/scenarios/steps/index.js');
    const { scenarioSpec } = await import('../../src/scenarios/schema/scenario.js');
    for (const type of stepTypes()) expect(docs).toContain(`| \`${type}\` |`);
    for (const key of Object.keys(scenarioSpec.fields)) expect(docs).toContain(`| \`${key}\` |`);
  });
});
