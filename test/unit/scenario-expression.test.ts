/** The expression language: `||`, service counters, name checks with located errors, evaluation. */
import { describe, expect, it } from 'vitest';
import { parseExpression, resolveNames, type Expression } from '../../src/scenarios/expression.js';
import { parseScenario } from '../../src/scenarios/load.js';
import { Metrics } from '../../src/scenarios/run/metrics.js';
import { scenarioProblems } from '../helpers/scenario.js';

const names = { loads: new Set(['conns', 'http']), services: new Map([['web', 'http'], ['echo', 'echo']]) };

function parsed(text: string): Expression {
  const e = parseExpression(text);
  if (typeof e === 'string') throw new Error(e);
  return e;
}

function resolved(text: string): Expression {
  const e = resolveNames(parsed(text), names);
  if (typeof e === 'string') throw new Error(e);
  return e;
}

const SCENARIO = (expectations: string[]) => [
  'name: t',
  'topology: { hosts: [client, server], links: [{ a: { host: client, dev: c0, address: 10.0.0.1/24 }, b: { host: server, dev: s0, address: 10.0.0.2/24 } }] }',
  'services:',
  '  web: { type: http, host: server, port: 8080 }',
  '  echo: { type: echo, host: server, port: 7 }',
  'load:',
  '  conns: { type: tcp_connect, from: client, to: server:7, rate: 1 }',
  'expect:',
  ...expectations.map((e) => `  - ${JSON.stringify(e)}`),
  '',
].join('\n');

describe('||', () => {
  it('joins comparisons; the expression keeps the first one\'s fields and lists them all', () => {
    const e = parsed('conns.refused > 0 || conns.reset > 0');
    expect(e).toMatchObject({ text: 'conns.refused > 0 || conns.reset > 0', load: 'conns', metric: 'refused', op: '>', value: 0 });
    expect(e.anyOf.map((c) => [c.load, c.metric, c.op, c.value])).toEqual([['conns', 'refused', '>', 0], ['conns', 'reset', '>', 0]]);
    expect(parsed('reset > 0').anyOf).toHaveLength(1);
  });

  it('says which side is wrong, within the whole expression', () => {
    expect(parseExpression('reset > 0 || resets > 0')).toBe(
      "invalid metric 'resets' in 'reset > 0 || resets > 0': expected [<load>.]<counter> or <service>.<counter> (did you mean 'reset'?); counters: attempts, ok, reset, refused, timeout, other, latency.<min|mean|p50|p90|p99|p999|max>; service counters: requests, executions, duplicates, replays, peak_inflight",
    );
    expect(parseExpression('reset > 0 ||')).toMatch(/^invalid expression 'reset > 0 \|\|': '\|\|' needs a comparison on each side/);
    expect(parseExpression('reset > 0 || latency.p99 < 200')).toMatch(/invalid value '200' in 'latency.p99 < 200': a latency needs a unit/);
  });

  it('holds when any side holds; reports the value of the side that decides', () => {
    const m = new Metrics(['conns']);
    const e = resolved('conns.refused > 0 || conns.reset > 0');
    expect(m.evaluate(e)).toEqual({ that: e.text, because: null, held: false, value: 0 });
    m.record({ load: 'conns', startMs: 0, outcome: 'reset', latencyMs: 1 });
    m.record({ load: 'conns', startMs: 1, outcome: 'reset', latencyMs: 1 });
    expect(m.holds(e)).toBe(true);
    expect(m.evaluate(e, 'why')).toEqual({ that: e.text, because: 'why', held: true, value: 2 });
  });
});

describe('service counters', () => {
  it('parse only with a name in front; the name is looked up later', () => {
    expect(parsed('web.executions == 1')).toMatchObject({ load: 'web', service: null, metric: 'executions', value: 1 });
    expect(parseExpression('executions == 1')).toMatch(/^invalid metric 'executions'/);
    expect(parseExpression('web.execution == 1')).toMatch(/did you mean 'executions'\?/);
  });

  it('resolve to the service when the name is a service that reports the counter', () => {
    expect(resolved('web.duplicates > 0')).toMatchObject({ load: null, service: 'web', metric: 'duplicates' });
    expect(resolved('conns.reset > 0 || web.duplicates > 0').anyOf.map((c) => [c.load, c.service])).toEqual([['conns', null], [null, 'web']]);
    expect(resolved('http.reset > 0')).toMatchObject({ load: 'http', service: null });
  });

  it('are refused, with a hint, for an unknown name, a service without counters, a load, or a counter of another type', () => {
    const problem = (text: string) => resolveNames(parsed(text), names);
    expect(problem('wbe.executions > 0')).toBe("unknown service 'wbe' in 'wbe.executions > 0': 'executions' is a service counter (did you mean 'web'?)");
    expect(problem('echo.requests > 0')).toBe("service 'echo' in 'echo.requests > 0' is of type echo, which reports no counters (types that do: http)");
    expect(problem('conns.requests > 0')).toBe("load generator 'conns' has no counter 'requests' in 'conns.requests > 0': it is a service counter (services with it: web)");
    expect(problem('web.reset > 0')).toBe("service 'web' has no counter 'reset' in 'web.reset > 0' (its counters: requests, executions, duplicates, replays, peak_inflight)");
    expect(parseExpression('web.replay > 0')).toMatch(/did you mean 'replays'\?/);
    expect(resolveNames(parsed('web.requests > 0'), { loads: new Set(['web']), services: new Map([['web', 'http']]) })).toBe(
      "'web' in 'web.requests > 0' names both a load generator and a service: rename one of them",
    );
  });

  it('need no load generator', () => {
    expect(resolveNames(parsed('web.requests > 0'), { loads: new Set(), services: names.services })).toMatchObject({ service: 'web' });
    expect(resolveNames(parsed('reset > 0'), { loads: new Set(), services: names.services })).toBe("'reset > 0' counts load, but the scenario has no load generators: add one under load:");
  });

  it('are what the service last reported, 0 before it reports', () => {
    const m = new Metrics([]);
    const e = resolved('web.executions >= 2');
    expect(m.evaluate(e)).toMatchObject({ held: false, value: 0 });
    m.recordService('web', { requests: 3, executions: 2 });
    expect(m.evaluate(e)).toMatchObject({ held: true, value: 2 });
    expect(m.serviceSnapshot()).toEqual({ web: { requests: 3, executions: 2 } });
  });

  it('are checked where they are written: file:line:col, the expression, a hint', () => {
    expect(scenarioProblems(SCENARIO(['web.executions == 1', 'wbe.executions == 1', 'echo.requests > 0', 'web.reset == 0 || conns.reset == 0']))).toEqual([
      "t.yaml:10:5: expect[1]: unknown service 'wbe' in 'wbe.executions == 1': 'executions' is a service counter (did you mean 'web'?)",
      "t.yaml:11:5: expect[2]: service 'echo' in 'echo.requests > 0' is of type echo, which reports no counters (types that do: http)",
      "t.yaml:12:5: expect[3]: service 'web' has no counter 'reset' in 'web.reset == 0 || conns.reset == 0' (its counters: requests, executions, duplicates, replays, peak_inflight)",
    ]);
    const plan = parseScenario(SCENARIO(['web.executions == 1 || conns.ok > 0']), { file: 't.yaml' });
    expect(plan.base.expect[0]!.expression.anyOf.map((c) => c.service ?? c.load)).toEqual(['web', 'conns']);
  });
});
