/**
 * `qplug scenario validate|list` through the built CLI (node bin/qplug.js):
 * exit codes, one located line per problem on stderr, no stack.
 * Needs `npm run build:ts` first; skipped by name when dist/ is missing.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'test', 'unit', 'fixtures', 'scenarios');
const built = existsSync(join(root, 'dist', 'scenarios', 'list.js'));

function qplug(args: string[], cwd = fixtures) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'qplug.js'), ...args], { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('qplug scenario (skipped: run `npm run build:ts` first)', () => {
  it('validate: a broken scenario gives one located line per problem, exit 2, no stack', () => {
    const r = qplug(['scenario', 'validate', 'bad-yaml.yaml', 'broken.yaml']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^qplug: bad-yaml\.yaml:4:1: \(document\): YAML syntax: .* \[E_SCENARIO\]$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^qplug: broken\.yaml:7:11: timeline\[0\]\.type: unknown step type 'plgu' \(did you mean 'plug'\? known step types: plug, .*\) \[E_SCENARIO\]$/),
      'qplug: broken.yaml:12:11: timeline[1].hold: expected a duration such as 250ms, 2s or 1m (a bare number is seconds), got a list [E_SCENARIO]',
      "qplug: broken.yaml:15:14: timeline[2].service: unknown service 'wbe' (did you mean 'web'?) [E_SCENARIO]",
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('validate: ok lines, exit 0; a bare name finds the shipped scenario; a local file wins', () => {
    const r = qplug(['scenario', 'validate', 'variants.yaml', 'example-freeze.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: variants.yaml: reload-race (3 variants, 4 steps)\nok: example-freeze.yaml: example-freeze (3 variants, 2 steps)\n');
    const dir = mkdtempSync(join(tmpdir(), 'qplug-scenario-'));
    try {
      writeFileSync(join(dir, 'example-freeze.yaml'), 'name: local-one\n');
      expect(qplug(['scenario', 'validate', 'example-freeze.yaml'], dir).stdout).toBe('ok: example-freeze.yaml: local-one (1 variant, 0 steps)\n');
      const missing = qplug(['scenario', 'validate', 'nope.yaml'], dir);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^qplug: nope\.yaml: no such file, and no shipped scenario of that name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validate --json: one result per file', () => {
    const r = qplug(['scenario', 'validate', '--json', 'variants.yaml', 'broken.yaml']);
    expect(r.code).toBe(2);
    const results = JSON.parse(r.stdout) as Array<{ file: string; ok: boolean; problems: string[]; variants?: number }>;
    expect(results.map((x) => [x.file, x.ok, x.problems.length])).toEqual([['variants.yaml', true, 0], ['broken.yaml', false, 3]]);
    expect(results[0]).toMatchObject({ name: 'reload-race', variants: 3, steps: 4 });
  });

  it('list: the shipped scenarios with their variants; --json', () => {
    const r = qplug(['scenario', 'list'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^example-freeze {2}Hold new connections for 2 s/m);
    expect(r.stdout).toMatch(/variants: short-timeout \(bug\), long-timeout \(fix\), control \(null\)/);
    const json = JSON.parse(qplug(['scenario', 'list', '--json'], tmpdir()).stdout) as Array<{ name: string; variants: unknown[] }>;
    expect(json.find((s) => s.name === 'example-freeze')?.variants).toEqual([
      { name: 'short-timeout', role: 'bug' },
      { name: 'long-timeout', role: 'fix' },
      { name: 'control', role: 'null' },
    ]);
  });

  it('--help shows examples and the run form; `qplug scenario` alone is a usage error', () => {
    expect(qplug(['scenario', 'validate', '--help']).stdout).toMatch(/Examples:[\s\S]*scenario validate mine\.yaml/);
    const help = qplug(['scenario', '--help']).stdout;
    expect(help).toMatch(/qplug scenario <file>\s+Run a scenario/);
    for (const flag of ['--repeat', '--seed', '--variant', '--vm', '--keep-going']) expect(help).toContain(flag);
    const bare = qplug(['scenario']);
    expect(bare.code).toBe(2);
    expect(bare.stderr.trim().split('\n')).toHaveLength(1);
  });
});
