/**
 * `requires:` — the programs a scenario needs: planned, looked up on PATH, and
 * checked before anything runs (one line, exit 2, E_SCENARIO); shown by
 * `scenario list --json`. The CLI case needs `npm run build:ts` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { listShippedScenarios } from '../../src/scenarios/list.js';
import { parseScenario } from '../../src/scenarios/load.js';
import { checkRequirements, runScenario, selectVariants } from '../../src/scenarios/run/runner.js';
import { missingCommands } from '../../src/scenarios/services.js';
import { scenarioProblems } from '../helpers/scenario.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = existsSync(join(root, 'dist', 'scenarios', 'run', 'runner.js'));
/** No machine has this program. */
const ABSENT = 'qplug-test-absent-program';

const scenario = (requires: string, variants = '') => `
name: mine
requires: ${requires}
services:
  app: { type: echo, port: 9000 }
load:
  conns: { type: tcp_connect, to: localhost:9000, rate: 1 }
${variants}`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qplug-requires-'));
  writeFileSync(join(dir, 'runs'), '#!/bin/sh\n');
  chmodSync(join(dir, 'runs'), 0o755);
  writeFileSync(join(dir, 'plain'), 'not a program\n');
  chmodSync(join(dir, 'plain'), 0o644);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('requires: in the file', () => {
  it('is planned into every variant: commands and the install hint (null when not given)', () => {
    const plan = parseScenario(scenario('{ commands: [haproxy, /usr/bin/env], install: apt-get install haproxy }'));
    expect(plan.base.requires).toEqual({ commands: ['haproxy', '/usr/bin/env'], install: 'apt-get install haproxy' });
    expect(plan.variants[0]?.requires).toEqual(plan.base.requires);
    expect(parseScenario(scenario('{ commands: [sh] }')).base.requires).toEqual({ commands: ['sh'], install: null });
  });

  it('defaults to nothing required', () => {
    const plan = parseScenario('name: plain\n');
    expect(plan.base.requires).toEqual({ commands: [], install: null });
  });

  it('a command with arguments, an empty list, a missing list or an unknown key is a located problem', () => {
    expect(scenarioProblems(scenario('{ commands: ["haproxy -v"] }'))).toEqual([
      "t.yaml:3:24: requires.commands[0]: invalid command 'haproxy -v': a program name or path, without arguments",
    ]);
    expect(scenarioProblems(scenario('{ commands: [] }'))[0]).toMatch(/^t\.yaml:3:\d+: requires\.commands: /);
    expect(scenarioProblems(scenario('{ install: x }'))).toEqual([
      "t.yaml:3:11: requires.commands: missing required key 'commands' (programs the scenario runs that qplug does not ship)",
    ]);
    expect(scenarioProblems(scenario('{ commands: [sh], comands: [x] }'))[0]).toMatch(/unknown key 'comands' \(did you mean 'commands'\?\)/);
  });
});

describe('missingCommands', () => {
  it('looks names up on PATH: only executable regular files count', () => {
    const requires = { commands: ['runs', 'plain', ABSENT], install: null };
    expect(missingCommands(requires, `/nonexistent:${dir}`)).toEqual(['plain', ABSENT]);
    expect(missingCommands(requires, '')).toEqual(['runs', 'plain', ABSENT]);
  });

  it('takes a path as given, not from PATH (a directory is not a program)', () => {
    const requires = { commands: [join(dir, 'runs'), join(dir, 'plain'), dir], install: null };
    expect(missingCommands(requires, '/usr/bin:/bin')).toEqual([join(dir, 'plain'), dir]);
  });
});

describe('checked before anything runs', () => {
  it('one line naming the scenario, each missing command and how to install them', () => {
    const plan = parseScenario(scenario(`{ commands: [sh, ${ABSENT}], install: apt-get install absent }`));
    let error: unknown;
    try {
      checkRequirements(plan.name, plan.variants);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.code).toBe('E_SCENARIO');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`scenario mine needs the command '${ABSENT}', which is not installed here (not on PATH): install it (apt-get install absent) and run it again`);
    expect(e.details.missing).toEqual([ABSENT]);
    expect(() => checkRequirements(plan.name, parseScenario(scenario('{ commands: [sh] }')).variants)).not.toThrow();
  });

  it('only the variants selected count: one that needs more fails only when it runs', () => {
    const plan = parseScenario(scenario('{ commands: [sh] }', `
signature: reset > 0
variants:
  plain: { role: bug }
  more: { role: fix, set: { requires.commands: [sh, ${ABSENT}] } }`));
    expect(selectVariants(plan, ['plain']).map((v) => v.variant)).toEqual(['plain']);
    expect(() => selectVariants(plan, undefined)).toThrow(`needs the command '${ABSENT}'`);
    expect(() => selectVariants(plan, ['more'])).toThrow(ConfigError);
  });

  it('runScenario rejects before it needs privileges, a namespace or the lab', async () => {
    await expect(runScenario(scenario(`{ commands: [${ABSENT}] }`))).rejects.toThrow(`scenario mine needs the command '${ABSENT}'`);
  });
});

describe('scenario list', () => {
  it('gives each shipped scenario its requirements and what is missing here', () => {
    const haproxy = listShippedScenarios().find((s) => s.name === 'haproxy-reload');
    expect(haproxy?.requires.commands).toEqual(['haproxy', 'bash']);
    expect(haproxy?.requires.install).toMatch(/haproxy/);
    expect(haproxy?.requires.missing).toEqual(missingCommands({ commands: ['haproxy', 'bash'], install: null }));
    expect(listShippedScenarios().find((s) => s.name === 'example-freeze')?.requires).toEqual({ commands: [], install: null, missing: [] });
  });
});

describe.skipIf(!built)('qplug scenario <file> with a missing command (skipped: run `npm run build:ts` first)', () => {
  it('exits 2 with one line on stderr, no stack, before the lab or any namespace', () => {
    const file = join(dir, 'needs.yaml');
    // A plug step would send it to the lab on a kernel without sch_plug: the check comes first.
    writeFileSync(file, `${scenario(`{ commands: [${ABSENT}], install: get it somewhere }`)}
timeline:
  - { at: 1s, type: plug, dev: lo }
`);
    const r = spawnSync(process.execPath, [join(root, 'bin', 'qplug.js'), 'scenario', file], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, FORCE_COLOR: '0' } });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `qplug: scenario mine needs the command '${ABSENT}', which is not installed here (not on PATH): install it (get it somewhere) and run it again [E_SCENARIO]`,
    ]);
  });
});
