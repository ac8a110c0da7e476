/** Loading scenarios: located problems (file:line:col: path: what), the plan, defaults, freezing. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { loadScenario, parseScenario } from '../../src/scenarios/load.js';
import { validateScenario } from '../../src/scenarios/validate.js';
import { scenarioProblems } from '../helpers/scenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, 'fixtures', 'scenarios', name);
const root = join(here, '..', '..');

/** The problems of a fixture, named as the fixture's bare file name. */
function problemsOf(name: string): string[] {
  const result = validateScenario(readFileSync(fixture(name), 'utf8'), { file: name, path: null, dir: dirname(fixture(name)) });
  expect(result.plan).toBeUndefined();
  return result.problems;
}

describe('a broken scenario: one located error per problem', () => {
  it('bad YAML gives its own located error and nothing else', () => {
    const problems = problemsOf('bad-yaml.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^bad-yaml\.yaml:4:1: \(document\): YAML syntax: /);
  });

  it('unknown step type, wrong type of a field, unknown service: each at its line and column', () => {
    expect(problemsOf('broken.yaml')).toEqual([
      "broken.yaml:7:11: timeline[0].type: unknown step type 'plgu' (did you mean 'plug'? known step types: plug, release, release_one, pulse, reload, signal, freeze, thaw, sleep, wait, exec, mark)",
      "broken.yaml:12:11: timeline[1].hold: expected a duration such as 250ms, 2s or 1m (a bare number is seconds), got a list",
      "broken.yaml:15:14: timeline[2].service: unknown service 'wbe' (did you mean 'web'?)",
    ]);
  });

  it('reports every problem of a file, in file order, with a remedy', () => {
    const problems = problemsOf('many-problems.yaml');
    expect(problems).toEqual([
      "many-problems.yaml:6:66: load.http.connections: expected a whole number from 1 to 100000, got the string 'many'",
      expect.stringMatching(/^many-problems\.yaml:8:21: timeline\[0\]\.type: unknown step type 'plgu' \(did you mean 'plug'\? known step types: plug, /),
      "many-problems.yaml:9:38: timeline[1].service: unknown service 'wbe' (did you mean 'web'?)",
      "many-problems.yaml:10:11: timeline[2].at: at 9s is beyond the scenario's duration (5s): raise duration: or move the step earlier",
      "many-problems.yaml:11:35: timeline[3].hold: invalid duration '2 parsecs': expected e.g. 250ms, 2s, 1.5m or 1h",
      "many-problems.yaml:11:46: timeline[3].mach: unknown key 'mach' (did you mean 'match'?)",
      "many-problems.yaml:13:5: expect[0]: unknown load generator 'htp' in 'htp.reset == 0' (did you mean 'http'?)",
    ]);
  });

  it('checks hosts, devices, ports, targets, match expressions, signals and one-of fields', () => {
    const problems = problemsOf('hosts.yaml').map((p) => p.replace(/^hosts\.yaml:/, ''));
    expect(problems).toEqual([
      "6:18: topology.links[0].b.host: unknown host 'sever' (did you mean 'server'?)",
      "7:31: topology.links[1].a.dev: host 'client' already has a device 'lo' (the loopback): name this end differently",
      '8:44: topology.links[1].b.address: address 10.1.0.1 is already used by client/c0',
      "11:43: services.web2.port: port 7 on host 'server' is already taken by service 'web'",
      '12:8: services.app: give only one of argv, shell',
      "14:49: load.conns.to: unknown host 'nowhere' (hosts: client, server)",
      '16:5: timeline[0].host: missing host: this scenario has several hosts (client, server), name one',
      "17:46: timeline[1].dev: host 'client' has no device 'c9' (did you mean 'c0'?); devices come from topology.links",
      "17:57: timeline[1].match: invalid match: unknown word 'ack': use tcp|udp|icmp, sport N, dport N, src A[/N], dst A[/N], syn",
      '18:22: timeline[2].after: give either at: (a time) or after: (a condition), not both',
      "19:43: timeline[3].signal: unknown signal 'HUPP': e.g. HUP, TERM, USR1, USR2, INT, KILL",
      "20:45: timeline[4].strategy: 'web' is an echo service: strategy is for proxy services (use signal, argv or shell)",
      '21:5: timeline[5]: needs one of: argv, shell',
      "22:36: timeline[6].until.metric: invalid value '200' in 'conns.latency.p99 < 200': a latency needs a unit, e.g. 200ms or 1.5s",
    ]);
  });

  it('an empty file, a wrong root and a missing name say so', () => {
    expect(problemsOf('empty.yaml')).toEqual(['empty.yaml:1:1: (document): the file is empty: a scenario needs at least name: (see scenarios/example-freeze.yaml)']);
    expect(scenarioProblems('- a\n- b\n')).toEqual(['t.yaml:1:1: (document): expected a map, got a list']);
    expect(scenarioProblems('description: x\nnam: y\n')).toEqual([
      "t.yaml:1:1: name: missing required key 'name' (the name of a scenario)",
      "t.yaml:2:1: nam: unknown key 'nam' (did you mean 'name'?)",
    ]);
  });

  it('the proxy config is checked by the proxy validator, located in the scenario file', () => {
    const text = readFileSync(fixture('proxy.yaml'), 'utf8').replace('backend: app }', 'backend: ap, maxconn: lots }');
    expect(scenarioProblems(text)).toEqual([
      "t.yaml:10:50: services.proxy.config.frontends.main.backend: no backend named 'ap' (did you mean 'app'?)",
      "t.yaml:10:63: services.proxy.config.frontends.main.maxconn: expected a whole number from 0 to 10000000, got the string 'lots'",
    ]);
    expect(scenarioProblems('name: p\nservices:\n  px: { type: proxy, config_file: missing.yaml }\n')).toEqual([
      expect.stringMatching(/^t\.yaml:3:35: services\.px\.config_file: no such file: .*missing\.yaml \(the path is relative to the scenario's folder\)$/),
    ]);
  });

  it('ConfigError: code E_SCENARIO, exit 2, one line per problem', () => {
    let error: unknown;
    try {
      parseScenario(readFileSync(fixture('broken.yaml'), 'utf8'), { file: 'broken.yaml' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'E_SCENARIO', exitCode: 2 });
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as ConfigError).message).toMatch(/^broken\.yaml:7:11: .* \(and 2 more problems\)$/);
  });
});

describe('the plan', () => {
  it('fills defaults, converts units, resolves names, and is frozen all the way down', async () => {
    const plan = await loadScenario(join(root, 'scenarios', 'example-freeze.yaml'));
    expect(plan.file).toBe(join(root, 'scenarios', 'example-freeze.yaml'));
    expect(plan.base).toMatchObject({ name: 'example-freeze', durationMs: 6000, repeat: 1, seed: 1 });
    expect(plan.base.services[0]).toEqual({
      type: 'http', name: 'web', host: 'server', address: '0.0.0.0', port: 8080,
      ready: { kind: 'tcp', address: '127.0.0.1', port: 8080, timeoutMs: 10_000, intervalMs: 100 },
      responseDelayMs: 0, keepaliveTimeoutMs: 5000, responseBytes: 2, idempotency: 'none',
    });
    expect(plan.base.load[0]).toMatchObject({ type: 'tcp_connect', from: 'client', address: '10.9.0.2', port: 8080, startMs: 0, stopMs: 6000, timeoutMs: 1000 });
    expect(plan.base.timeline[0]).toEqual({
      type: 'plug', host: 'client', dev: 'c0', match: 'tcp dport 8080 syn', maxHoldMs: 60_000, limitBytes: null, index: 0, trigger: { kind: 'at', atMs: 2000 }, note: null,
    });
    expect(plan.base.expect[2]).toMatchObject({ expression: { load: 'conns', metric: 'timeout', op: '==', value: 0 }, because: 'a held handshake completes when released' });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.variants[0]!.timeline[0]!.trigger)).toBe(true);
    expect(() => {
      (plan.base.services[0] as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('without topology: one host, main, with loopback; steps default to it; sequence triggers', () => {
    const plan = parseScenario('name: tiny\ntimeline:\n  - { type: plug, dev: lo }\n  - { type: sleep, for: 1.5 }\n  - { type: release, dev: lo }\n  - { type: exec, shell: "ss -tn" }\n');
    expect(plan.base.topology).toEqual({ hosts: [{ name: 'main', devices: ['lo'], addresses: { lo: '127.0.0.1/8' }, sysctl: {} }], links: [] });
    expect(plan.base.timeline.map((s) => [s.type, s.trigger.kind])).toEqual([['plug', 'sequence'], ['sleep', 'sequence'], ['release', 'sequence'], ['exec', 'sequence']]);
    expect(plan.base.timeline[1]).toMatchObject({ forMs: 1500 });
    expect(plan.base.timeline[3]).toMatchObject({ host: 'main', command: { argv: ['/bin/sh', '-c', 'ss -tn'], shell: true }, timeoutMs: 30_000, check: true });
    expect(plan.variants).toHaveLength(1);
    expect(plan.variants[0]).toMatchObject({ variant: 'default', role: 'null', overrides: [] });
  });

  it('steps at times out of order are fine; at equal to the duration is fine', () => {
    const plan = parseScenario('name: t\nduration: 3s\ntimeline:\n  - { at: 3s, type: mark, name: end }\n  - { at: 1s, type: mark, name: start }\n');
    expect(plan.base.timeline.map((s) => s.trigger)).toEqual([{ kind: 'at', atMs: 3000 }, { kind: 'at', atMs: 1000 }]);
  });

  it('reload takes the service\'s own way unless the step names one', () => {
    const plan = parseScenario(readFileSync(fixture('variants.yaml'), 'utf8'), { file: fixture('variants.yaml') });
    const reloads = plan.base.timeline.filter((s) => s.type === 'reload');
    expect(reloads.map((s) => s.method)).toEqual([{ kind: 'signal', signal: 'SIGHUP' }, { kind: 'restart' }]);
    const proxy = parseScenario(readFileSync(fixture('proxy.yaml'), 'utf8'), { file: fixture('proxy.yaml') });
    expect(proxy.base.timeline.map((s) => (s.type === 'reload' ? s.method : null))).toEqual([
      { kind: 'proxy', strategy: 'restart' },
      { kind: 'proxy', strategy: 'reuseport' },
    ]);
    expect(proxy.base.services[1]).toMatchObject({ type: 'proxy', ready: { kind: 'tcp', address: '127.0.0.1', port: 8080 }, configFile: null });
  });

  it('every service and load type, as docs/scenarios.md shows them', () => {
    const plan = parseScenario(readFileSync(fixture('full.yaml'), 'utf8'), { file: fixture('full.yaml') });
    const [echo, web, lb, app] = plan.base.services;
    expect(echo).toMatchObject({ type: 'echo', host: 'server', port: 7 });
    expect(web).toMatchObject({ responseDelayMs: 200, keepaliveTimeoutMs: 5000, responseBytes: 1024 });
    expect(lb).toMatchObject({ type: 'proxy', reloadStrategy: 'handoff', ready: { kind: 'tcp', address: '127.0.0.1', port: 80 } });
    expect(app).toMatchObject({ type: 'command', command: { argv: ['python3', '-m', 'http.server', '9000'], shell: false }, reload: { kind: 'signal', signal: 'SIGHUP' }, stopSignal: 'SIGTERM' });
    expect(plan.base.load[1]).toMatchObject({ type: 'http_keepalive', address: '10.0.0.2', connections: 4, idleMs: { min: 500, max: 1500 }, timeoutMs: 2000 });
    expect(plan.variants.map((v) => [v.variant, v.repeat, v.timeline[0]!.trigger])).toEqual([
      ['restart', 1, { kind: 'at', atMs: 1000 }],
      ['handoff', 1, { kind: 'at', atMs: 1000 }],
      ['quiet', 3, { kind: 'at', atMs: 9000 }],
    ]);
  });

  it('loadScenario takes a path, a shipped bare name, or text', async () => {
    expect((await loadScenario('example-freeze')).name).toBe('example-freeze');
    expect((await loadScenario('example-freeze.yaml')).name).toBe('example-freeze');
    expect((await loadScenario('name: inline\n')).file).toBeNull();
    await expect(loadScenario('no-such-scenario.yaml')).rejects.toMatchObject({ code: 'E_SCENARIO', problems: [expect.stringMatching(/no such file, and no shipped scenario/)] });
  });
});
