/**
 * The shipped example-freeze scenario against a real sch_plug (kernel tier:
 * inside the lab, where the CLI finds sch_plug and runs it directly). One run
 * per variant: every run costs tens of seconds under the emulated CPU. (A run
 * killed while its plug holds, and the next run: scenario-teardown.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runShippedScenario } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'qplug-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Variant { name: string; role: string | null; runs: number; reproduced: number; rate: number; first_reproduction_ms: number | null; outcomes: Record<string, number>; passed: boolean; errors: number }

describe('qplug scenario example-freeze (real sch_plug)', () => {
  it("--repeat 1 --json: the bug variant reproduces every time, the fix and the control never; nothing is left", { timeout: 300_000 }, () => {
    const state = join(dir, 'plugs');
    const { r, s, byName, seconds } = runShippedScenario<Variant>('example-freeze', 1, { timeoutMs: 290_000, env: { QPLUG_STATE_DIR: state } });
    expect(r.stderr).toBe('');
    process.stdout.write(`example-freeze --repeat 1 in the lab: ${seconds.toFixed(1)} s; ${JSON.stringify(s.variants.map((v) => [v.name, v.reproduced, v.outcomes]))}\n`);
    expect(r.status).toBe(0);
    expect(s).toMatchObject({ scenario: 'example-freeze', seed: 1, exit_code: 0 });
    expect(byName['short-timeout']).toMatchObject({ role: 'bug', runs: 1, reproduced: 1, rate: 1, passed: true, errors: 0 });
    expect(byName['short-timeout']!.outcomes.timeout).toBeGreaterThan(0);
    expect(byName['short-timeout']!.first_reproduction_ms).toBeGreaterThan(0);
    expect(byName['long-timeout']).toMatchObject({ role: 'fix', runs: 1, reproduced: 0, rate: 0, first_reproduction_ms: null, passed: true });
    expect(byName['long-timeout']!.outcomes).toMatchObject({ timeout: 0, reset: 0, refused: 0 });
    expect(byName.control).toMatchObject({ role: null, runs: 1, reproduced: 0, passed: true });
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(ns).not.toMatch(/qps-/);
    const plugs = existsSync(state) ? readdirSync(state) : [];
    expect(plugs).toEqual([]);
  });
});
