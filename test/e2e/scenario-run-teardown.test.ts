/**
 * Teardown: SIGINT and SIGTERM mid-run tear down and exit 130/143; after a
 * SIGKILL the next run removes what the killed one left (its namespaces and
 * the processes inside them). Needs root and `npm run build:ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRun, removeWork, exited, ourNamespaces, qplug, recordDir, root, scenarioFile, startQplug, TWO_HOSTS, waitFor, type SummaryJson } from './scenario-run-helpers.js';

const built = existsSync(join(root, 'dist', 'scenarios', 'run', 'runner.js'));
const NODE = JSON.stringify(process.execPath);

const long = scenarioFile('long', `
name: long
duration: 30s
${TWO_HOSTS}
services:
  web: { type: http, host: server, port: 8080 }
  sleeper: { type: command, host: server, argv: [${NODE}, -e, "console.log('up'); setInterval(() => {}, 1000)"], ready: { output: up } }
load:
  http: { type: http_keepalive, from: client, to: server:8080, connections: 2, idle: 100ms }
timeline:
  - { at: 1s, type: freeze, service: sleeper }
`);

/** Started, with both namespaces made and the load running. */
async function midRun() {
  const child = startQplug(['scenario', long, '--json']);
  await waitFor('the run to create its namespaces', () => ourNamespaces().length === 2);
  const names = ourNamespaces();
  // The services and the load take a moment; the freeze step at 1s too.
  await new Promise((r) => setTimeout(r, 2500));
  return { child, names };
}

afterAll(removeWork);

describe.skipIf(!canRun || !built)('scenario teardown (skipped: needs root, ip netns and `npm run build:ts`)', () => {
  it('SIGINT mid-run: teardown, exit 130, none of our namespaces or records left', async () => {
    const { child, names } = await midRun();
    expect(names.every((n) => /^qps-[0-9a-f]{8}-(client|server)$/.test(n))).toBe(true);
    child.kill('SIGINT');
    const { code } = await exited(child);
    expect(code).toBe(130);
    const s = JSON.parse(child.out.stdout) as SummaryJson;
    expect(s).toMatchObject({ exit_code: 130, interrupted: 'SIGINT' });
    expect(ourNamespaces()).toEqual([]);
    expect(readdirSync(recordDir)).toEqual([]);
  });

  it('SIGTERM mid-run: the same, exit 143', async () => {
    const { child } = await midRun();
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(143);
    expect(ourNamespaces()).toEqual([]);
  });

  it('SIGKILL mid-run leaves namespaces and a record; the next run removes them and what runs inside', async () => {
    const { child, names } = await midRun();
    child.kill('SIGKILL');
    await exited(child);
    expect(ourNamespaces().sort()).toEqual([...names].sort());
    // The frozen command service has no stdin to notice qplug's death: it stays until the next run.
    const inside = names.flatMap((ns) => (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split(/\s+/).filter(Boolean).map(Number));
    expect(inside.length).toBeGreaterThan(0);
    expect(readdirSync(recordDir)).toHaveLength(1);
    const quick = scenarioFile('quick', 'name: quick\nduration: 200ms\n');
    const r = qplug(['scenario', quick]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`removed the leftovers of run [0-9a-f]{8}: ${names.sort().join(', ')}`));
    expect(ourNamespaces()).toEqual([]);
    expect(readdirSync(recordDir)).toEqual([]);
    // SIGKILLed; gone once reaped.
    await waitFor('the killed run\'s processes to be gone', () => inside.every((pid) => !existsSync(`/proc/${pid}`)), 10_000);
  });
});
