/**
 * The shipped example-freeze scenario against a real sch_plug (kernel tier:
 * inside the lab, where the CLI finds sch_plug and runs it directly). Kept to
 * --repeat 2: every run costs tens of seconds under the emulated CPU. Then a
 * run killed with SIGKILL while its plug holds: nothing may be left after the
 * next run.
 */

const ourNamespaces = () => (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => l.startsWith('qps-'));
const plugRecords = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qplugBin, repoRoot, waitFor } from './helpers.js';

interface Variant { name: string; role: string | null; runs: number; reproduced: number; rate: number; first_reproduction_ms: number | null; outcomes: Record<string, number>; passed: boolean; errors: number }

describe('qplug scenario example-freeze (real sch_plug)', () => {
  it("--repeat 2 --json: the bug variant reproduces every time, the fix and the control never; nothing is left", { timeout: 300_000 }, () => {
    const state = join(mkdtempSync(join(tmpdir(), 'qplug-scenario-')), 'plugs');
    const started = Date.now();
    const r = spawnSync(process.execPath, [qplugBin, 'scenario', join(repoRoot, 'scenarios', 'example-freeze.yaml'), '--repeat', '2', '--json'], {
      encoding: 'utf8',
      timeout: 290_000,
      env: { ...process.env, FORCE_COLOR: '0', QPLUG_STATE_DIR: state },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout) as { scenario: string; seed: number; exit_code: number; variants: Variant[] };
    process.stdout.write(`example-freeze --repeat 2 in the lab: ${seconds.toFixed(1)} s; ${JSON.stringify(s.variants.map((v) => [v.name, v.reproduced, v.outcomes]))}\n`);
    expect(r.status).toBe(0);
    expect(s).toMatchObject({ scenario: 'example-freeze', seed: 1, exit_code: 0 });
    const byName = Object.fromEntries(s.variants.map((v) => [v.name, v]));
    expect(byName['short-timeout']).toMatchObject({ role: 'bug', runs: 2, reproduced: 2, rate: 1, passed: true, errors: 0 });
    expect(byName['short-timeout']!.outcomes.timeout).toBeGreaterThan(0);
    expect(byName['short-timeout']!.first_reproduction_ms).toBeGreaterThan(0);
    expect(byName['long-timeout']).toMatchObject({ role: 'fix', runs: 2, reproduced: 0, rate: 0, first_reproduction_ms: null, passed: true });
    expect(byName['long-timeout']!.outcomes).toMatchObject({ timeout: 0, reset: 0, refused: 0 });
    expect(byName.control).toMatchObject({ role: null, runs: 2, reproduced: 0, passed: true });
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(ns).not.toMatch(/qps-/);
    const plugs = existsSync(state) ? readdirSync(state) : [];
    expect(plugs).toEqual([]);
  });

  it('SIGKILL while a plug holds: the watchdog lets go, the next run deletes the namespaces; nothing is left', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qplug-scenario-'));
    const state = join(dir, 'plugs');
    const env = { ...process.env, FORCE_COLOR: '0', QPLUG_STATE_DIR: state };
    const held = join(dir, 'held.yaml');
    writeFileSync(held, [
      'name: held',
      'duration: 2m',
      'topology:',
      '  hosts: [client, server]',
      '  links: [{ a: { host: client, dev: c0, address: 10.9.1.1/24 }, b: { host: server, dev: s0, address: 10.9.1.2/24 } }]',
      'timeline:',
      '  - { type: plug, host: client, dev: c0, max_hold: 2m }',
      '',
    ].join('\n'));
    const child = spawn(process.execPath, [qplugBin, 'scenario', held, '--json'], { env, stdio: 'ignore' });
    const buffering = () => plugRecords(state).some((f) => (JSON.parse(readFileSync(join(state, f), 'utf8')) as { state: string }).state === 'buffering');
    await waitFor('the plug to hold', buffering, 150_000, 200);
    const names = ourNamespaces();
    expect(names).toHaveLength(2);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The plug was temporary: its watchdog releases and detaches it once its owner is gone.
    await waitFor('the watchdog to remove the plug', () => plugRecords(state).length === 0, 30_000, 200);
    const next = spawnSync(process.execPath, [qplugBin, 'scenario', '--seed', '3', join(repoRoot, 'scenarios', 'example-freeze.yaml'), '--variant', 'control', '--repeat', '1'], {
      encoding: 'utf8',
      timeout: 150_000,
      env,
    });
    expect(next.status).toBe(0);
    expect(next.stderr).toMatch(/removed the leftovers of run [0-9a-f]{8}: qps-/);
    expect(ourNamespaces()).toEqual([]);
    expect(plugRecords(state)).toEqual([]);
    expect(spawnSync('tc', ['qdisc', 'show'], { encoding: 'utf8' }).stdout).not.toMatch(/plug/);
  });
});
