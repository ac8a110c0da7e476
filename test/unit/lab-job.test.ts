/**
 * The lab job: argv/env/cwd encoding, and the guest's exec helper (exec.pl)
 * decoding it, run here on the host with perl — no VM needed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, decodeJob, decodeNulList, encodeJob, isPlainPath, type LabJob } from '../../src/lab/job.js';
import { EXEC_PL, STAGE1_INIT, STAGE2 } from '../../src/lab/guest.js';
import { UsageError } from '../../src/errors.js';

const AWKWARD = [
  '',
  'plain',
  'with space',
  `single ' quote`,
  'double " quote',
  'dollar $HOME ${PATH} $(id) `id`',
  'new\nline',
  'trailing newline\n',
  '\ttab and \\ backslash',
  '-n',
  '--',
  'ünïcødé ✓',
  '*?[glob]',
  ';&|<>',
];

const job = (over: Partial<LabJob> = {}): LabJob => ({
  argv: ['prog', ...AWKWARD],
  env: { PATH: '/usr/bin:/bin', A: AWKWARD.join('|'), EMPTY: '', 'WEIRD.NAME-1': 'x=y=z', NL: 'a\nb\n' },
  cwd: '/tmp/dir with space/$x',
  ...over,
});

describe('lab job encoding', () => {
  it('round-trips argv, env and cwd with quotes, newlines, $ and empty strings', () => {
    const files = encodeJob(job());
    expect(decodeJob(files)).toEqual(job());
  });

  it('writes NUL-terminated lists and the bare cwd', () => {
    const files = encodeJob({ argv: ['a', '', 'b c'], env: { K: 'v=1' }, cwd: '/' });
    expect(files.argv.toString()).toBe('a\0\0b c\0');
    expect(files.env.toString()).toBe('K=v=1\0');
    expect(files.cwd.toString()).toBe('/');
    expect(decodeNulList(files.argv)).toEqual(['a', '', 'b c']);
    expect(decodeNulList('')).toEqual([]);
  });

  it('refuses what cannot be passed: no command, NUL bytes, bad names, relative cwd', () => {
    expect(() => encodeJob(job({ argv: [] }))).toThrow(UsageError);
    expect(() => encodeJob(job({ argv: [''] }))).toThrow(/no command/);
    expect(() => encodeJob(job({ argv: ['a\0b'] }))).toThrow(/NUL/);
    expect(() => encodeJob(job({ env: { 'A=B': 'x' } }))).toThrow(/A=B/);
    expect(() => encodeJob(job({ env: { '': 'x' } }))).toThrow(UsageError);
    expect(() => encodeJob(job({ cwd: 'relative' }))).toThrow(/absolute/);
  });

  it('drops undefined env values', () => {
    expect(cleanEnv({ A: 'x', B: undefined })).toEqual({ A: 'x' });
  });

  it('accepts only plain paths for the kernel command line', () => {
    expect(isPlainPath('/tmp/qplug-lab-AbC123')).toBe(true);
    expect(isPlainPath('/tmp/with space')).toBe(false);
    expect(isPlainPath('/tmp/"q"')).toBe(false);
    expect(isPlainPath('/tmp/a,b')).toBe(false);
    expect(isPlainPath('relative')).toBe(false);
  });
});

const perl = spawnSync('perl', ['-e', '1']).status === 0;
const busybox = spawnSync('busybox', ['true']).status === 0;

describe('the guest exec helper (exec.pl) on the host', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qplug-lab-job-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function runHelper(j: LabJob) {
    const files = encodeJob(j);
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    writeFileSync(join(dir, 'exec.pl'), EXEC_PL);
    return spawnSync('perl', [join(dir, 'exec.pl'), dir], { encoding: 'utf8', env: { LEAK: 'must not arrive' } });
  }

  it.skipIf(!perl)('runs argv exactly, with exactly the job env, in the job cwd (skipped if this host has no perl)', () => {
    const cwd = mkdtempSync(join(dir, 'cwd $x '));
    // node -e drops the `--`, leaving [execPath, ...args].
    const script = 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env, cwd: process.cwd() }))';
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', A: AWKWARD.join('|'), EMPTY: '', 'WEIRD.NAME-1': 'x=y=z', NL: 'a\nb\n' };
    const r = runHelper({ argv: [process.execPath, '-e', script, '--', ...AWKWARD], env, cwd });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout) as { argv: string[]; env: Record<string, string>; cwd: string };
    expect(seen.argv).toEqual(AWKWARD);
    expect(seen.env).toEqual(env);
    expect(seen.cwd).toBe(cwd);
  });

  it.skipIf(!perl)('looks argv[0] up in the job PATH and reports 127 / 126 like a shell (skipped if this host has no perl)', () => {
    expect(runHelper({ argv: ['sh', '-c', 'exit 7'], env: { PATH: '/usr/bin:/bin' }, cwd: '/' }).status).toBe(7);
    const missing = runHelper({ argv: ['no-such-command-qplug'], env: { PATH: '/usr/bin:/bin' }, cwd: '/' });
    expect(missing.status).toBe(127);
    expect(missing.stderr).toMatch(/cannot run no-such-command-qplug/);
    expect(runHelper({ argv: ['true'], env: {}, cwd: '/nonexistent-qplug' }).status).toBe(126);
  });

  it.skipIf(!busybox)('stage scripts parse with busybox sh (skipped if this host has no busybox)', () => {
    for (const [name, text] of [['stage1', STAGE1_INIT], ['stage2', STAGE2]] as const) {
      writeFileSync(join(dir, name), text);
      const r = spawnSync('busybox', ['sh', '-n', join(dir, name)], { encoding: 'utf8' });
      expect(r.stderr, name).toBe('');
      expect(r.status, name).toBe(0);
    }
  });
});
