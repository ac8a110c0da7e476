/**
 * The kernel lab for real: each test boots the VM (TCG, ~5 s). The image is
 * built first when needed (~15 s plus the kernel download). Skipped, with the
 * reason in the test names, where the lab cannot run (no qemu, not x86-64,
 * no apt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildLab, labStatus, runInLab, type RunOptions } from '../../src/lab/index.js';
import { findExecutable } from '../../src/lab/paths.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'qplug.js');

const why =
  process.platform !== 'linux' || process.arch !== 'x64'
    ? 'not an x86-64 Linux host'
    : !labStatus().qemuPath
      ? 'qemu-system-x86_64 is not installed'
      : !labStatus().built && !findExecutable('apt-get')
        ? 'the image is not built and there is no apt to build it'
        : null;
const skip = why !== null;
const tag = skip ? ` [skipped: ${why}]` : '';
if (skip) console.warn(`lab e2e tests skipped: ${why}`);

function collector() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function lab(argv: string[], options: Partial<RunOptions> = {}) {
  const out = collector();
  const err = collector();
  const result = await runInLab({ argv, stdout: out.stream, stderr: err.stream, handleSignals: false, ...options });
  return { ...result, stdout: out.text(), stderr: err.text() };
}

const jobDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('qplug-lab-')));

describe('qplug lab (boots the VM)', () => {
  let before = new Set<string>();

  beforeAll(async () => {
    if (skip) return;
    before = jobDirs();
    if (!labStatus().built) await buildLab({ onProgress: (line) => console.log(line) });
  }, 900_000);

  afterAll(() => {
    if (skip) return;
    // Every run removes its job dir, also after timeouts.
    const left = [...jobDirs()].filter((n) => !before.has(n));
    expect(left).toEqual([]);
  });

  it.skipIf(skip)(`\`true\` returns in at most 10 s once the image is cached${tag}`, async () => {
    const started = Date.now();
    const r = await lab(['true']);
    const seconds = (Date.now() - started) / 1000;
    console.log(`lab run -- true: ${seconds.toFixed(2)} s`);
    expect(r.exitCode).toBe(0);
    expect(seconds).toBeLessThanOrEqual(10);
  });

  it.skipIf(skip)(`passes the exit code through, signal deaths as 128+N${tag}`, async () => {
    expect((await lab(['sh', '-c', 'exit 7'])).exitCode).toBe(7);
    expect((await lab(['sh', '-c', 'kill -TERM $$'])).exitCode).toBe(143);
  });

  it.skipIf(skip)(`keeps stdout and stderr separate, and loses nothing of a large output${tag}`, async () => {
    const r = await lab(['sh', '-c', 'echo to-out; echo to-err >&2; echo more-out; echo via-dev-stderr >/dev/stderr; seq 1 100000 >&2; echo last-out']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('to-out\nmore-out\nlast-out\n');
    const err = r.stderr.split('\n');
    expect(err.slice(0, 2)).toEqual(['to-err', 'via-dev-stderr']);
    expect(err.slice(2, -1)).toHaveLength(100000);
    expect(err.at(-2)).toBe('100000');
  });

  it.skipIf(skip)(`runs in the caller's cwd with the caller's environment${tag}`, async () => {
    const awkward = `it's "quoted" $HOME \`x\` \\ and\na newline`;
    const r = await lab(['sh', '-c', 'pwd; printf "%s" "$QPLUG_LAB_E2E"; printf "|%s" "$PATH"; printf "|%s" "$@"', 'sh', 'a b', '$c'], {
      cwd: root,
      env: { ...process.env, QPLUG_LAB_E2E: awkward },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${root}\n${awkward}|${process.env.PATH}|a b|$c`);
  });

  it.skipIf(skip)(`writes inside the VM (even under the cwd in /tmp) never reach this machine${tag}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qplug-lab-e2e-'));
    try {
      writeFileSync(join(dir, 'f.txt'), 'host\n');
      const r = await lab(['sh', '-c', 'cat f.txt; echo vm > f.txt; echo new > g.txt; cat f.txt g.txt'], { cwd: dir });
      expect(r.stdout).toBe('host\nvm\nnew\n');
      expect(readFileSync(join(dir, 'f.txt'), 'utf8')).toBe('host\n');
      expect(existsSync(join(dir, 'g.txt'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skip)(`has a working sch_plug: add and release_indefinite on lo${tag}`, async () => {
    const r = await lab(['sh', '-c', 'tc qdisc add dev lo root plug && tc qdisc change dev lo root plug release_indefinite && tc qdisc show dev lo']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/qdisc plug/);
  });

  it.skipIf(skip)(`can create network namespaces${tag}`, async () => {
    const r = await lab(['sh', '-c', 'ip netns add x && ip netns list && ip -n x link show lo']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^x\b/m);
  });

  it.skipIf(skip)(`an unbuilt cache dir is E_LAB_NOT_BUILT, a bad QPLUG_LAB_QEMU is E_LAB${tag}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qplug-lab-e2e-empty-'));
    try {
      await expect(runInLab({ argv: ['true'], cacheDir: dir })).rejects.toMatchObject({ code: 'E_LAB_NOT_BUILT', message: expect.stringMatching(/qplug lab build/) });
      process.env.QPLUG_LAB_QEMU = '/nonexistent/qemu-system-x86_64';
      await expect(runInLab({ argv: ['true'] })).rejects.toMatchObject({ code: 'E_LAB', message: expect.stringMatching(/qemu-system-x86/) });
    } finally {
      delete process.env.QPLUG_LAB_QEMU;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skip)(`--timeout kills the VM and exits 124${tag}`, async () => {
    const started = Date.now();
    const r = await lab(['sleep', '60'], { timeoutMs: 1000 });
    expect(r.exitCode).toBe(124);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  const built = existsSync(join(root, 'dist', 'cli', 'cli.js'));
  it.skipIf(skip || !built)(`the CLI passes the command after -- untouched and exits with its code${skip ? tag : built ? '' : ' [skipped: dist/ not built; run npm run build:ts]'}`, () => {
    const r = spawnSync(process.execPath, [bin, 'lab', 'run', '--', 'sh', '-c', 'echo "$1 $2"; echo oops >&2; exit 3', 'sh', '--json', '007'], {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 60_000,
    });
    expect(r.stdout).toBe('--json 007\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.status).toBe(3);
  });
});
