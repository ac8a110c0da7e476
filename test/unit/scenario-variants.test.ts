/** variants: expanded into full plans; set: paths checked; replacement values located in the variant. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../src/scenarios/load.js';
import { validateScenario } from '../../src/scenarios/validate.js';
import { parseDocumentPath } from '../../src/scenarios/variants.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, 'fixtures', 'scenarios', name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('variants', () => {
  it('expand into full plans with the values set, in file order', () => {
    const plan = parseScenario(read('variants.yaml'), { file: fixture('variants.yaml') });
    expect(plan.variants.map((v) => [v.variant, v.role, v.repeat])).toEqual([['slow', 'bug', 1], ['fast', 'fix', 3], ['baseline', 'null', 1]]);
    const [slow, fast, baseline] = plan.variants;
    expect(slow!.overrides).toEqual([{ path: 'services.web.response_delay', value: '3s' }, { path: 'timeline[1].at', value: '2s' }]);
    expect(slow!.services[0]).toMatchObject({ name: 'web', responseDelayMs: 3000 });
    expect(slow!.timeline[1]!.trigger).toEqual({ kind: 'at', atMs: 2000 });
    expect(fast!.services[0]).toMatchObject({ responseDelayMs: 0 });
    expect(baseline!.timeline[1]!.trigger).toEqual({ kind: 'at', atMs: 1000 });
    expect(slow!.signature).toEqual([expect.objectContaining({ text: 'http.reset > 0', load: 'http', metric: 'reset', op: '>', value: 0 })]);
    // The base is untouched by the variants.
    expect(plan.base.services[0]).toMatchObject({ responseDelayMs: 0 });
    expect(Object.isFrozen(slow!.overrides[0])).toBe(true);
  });

  it('a variant changes the reload strategy a reload step uses', () => {
    const plan = parseScenario(read('proxy.yaml'), { file: fixture('proxy.yaml') });
    const strategies = plan.variants.map((v) => [v.variant, v.services[1]!.type === 'proxy' ? v.services[1]!.reloadStrategy : null, v.timeline[0]!.type === 'reload' ? v.timeline[0]!.method : null]);
    expect(strategies).toEqual([
      ['restart', 'restart', { kind: 'proxy', strategy: 'restart' }],
      ['handoff', 'handoff', { kind: 'proxy', strategy: 'handoff' }],
    ]);
  });

  it('paths must exist (did you mean), values are checked where the variant writes them, a bug needs a signature', () => {
    const result = validateScenario(read('bad-variants.yaml'), { file: 'bad-variants.yaml', path: null, dir: '.' });
    expect(result.problems).toEqual([
      "bad-variants.yaml:12:7: variants.typo.set.services.wbe.response_delay: no such path: services has no 'wbe' (did you mean 'web'?)",
      "bad-variants.yaml:13:7: variants.typo.set.services.web.respons_delay: no such path: services.web has no 'respons_delay' (did you mean 'response_delay'?)",
      "bad-variants.yaml:17:36: services.web.response_delay: invalid duration 'soon': expected e.g. 250ms, 2s, 1.5m or 1h (in variant 'badvalue')",
      "bad-variants.yaml:18:23: timeline[0].at: at 60m is beyond the scenario's duration (10s): raise duration: or move the step earlier (in variant 'badvalue')",
      "bad-variants.yaml:20:11: variants.nosig.role: a bug variant needs a signature (what shows the bug, e.g. 'reset > 0'): add signature: to the scenario or to this variant",
    ]);
  });

  it('an optional field the document leaves out may be set; a list index must exist; name and variants are fixed', () => {
    const base = 'name: v\nservices:\n  web: { type: http, port: 8080 }\ntimeline:\n  - { type: mark, name: x }\nvariants:\n';
    const plan = parseScenario(`${base}  a: { role: fix, set: { services.web.keepalive_timeout: 1s, "timeline[0].note": hi } }\n`);
    expect(plan.variants[0]!.services[0]).toMatchObject({ keepaliveTimeoutMs: 1000 });
    expect(plan.variants[0]!.timeline[0]!.note).toBe('hi');
    const bad = validateScenario(`${base}  a: { role: fix, set: { "timeline[3].at": 1s, name: other, services.web.type: echo } }\n`, { file: 't', path: null, dir: '.' });
    expect(bad.problems).toEqual([
      't:7:26: variants.a.set.timeline[3].at: timeline has no item [3] (it has 1)',
      't:7:48: variants.a.set.name: a variant cannot change name',
      "t:7:61: variants.a.set.services.web.type: a variant cannot change the service type of services.web",
    ]);
  });

  it('role: null (YAML null) and role: "null" are the control', () => {
    const plan = parseScenario('name: r\nvariants:\n  a: { role: null }\n  b: { role: "null" }\n');
    expect(plan.variants.map((v) => v.role)).toEqual(['null', 'null']);
  });

  it('document paths', () => {
    expect(parseDocumentPath('services.proxy.reload_strategy')).toEqual(['services', 'proxy', 'reload_strategy']);
    expect(parseDocumentPath('timeline[2].at')).toEqual(['timeline', 2, 'at']);
    expect(parseDocumentPath('a[1][2]')).toEqual(['a', 1, 2]);
    expect(parseDocumentPath('a..b')).toEqual([]);
  });
});
