/**
 * `qplug proxy api <socket> '<command>'` through the built CLI (node
 * bin/qplug.js) against an ApiServer in this process (a Proxy on the fake
 * engine): the reply on stdout and the documented exit codes.
 * Needs `npm run build:ts` first; skipped by name when dist/ is missing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiServer } from '../../src/proxy/api/server.js';
import { proxyTarget } from '../../src/proxy/api/target.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { Proxy } from '../../src/proxy/Proxy.js';
import { fakeEngines } from './proxy-fake-engine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = existsSync(join(root, 'dist', 'cli', 'commands', 'proxy', 'ApiCommand.js'));
const dir = mkdtempSync(join(tmpdir(), 'qplug-api-cli-'));

let proxy: Proxy | undefined;
let api: ApiServer | undefined;
afterAll(async () => {
  await api?.close();
  await proxy?.stop({ graceMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

/** Asynchronous: the API server answers from this process's event loop. */
function qplug(args: string[], options: { uid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'qplug.js'), ...args], {
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`qplug ${args.join(' ')} did not finish within 30 s`))), 30_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

async function serve(): Promise<string> {
  proxy = await Proxy.start(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:9001', '127.0.0.1:9002'] }), { engineFactory: fakeEngines().factory });
  api = await ApiServer.start({ path: join(dir, 'api.sock'), target: proxyTarget(proxy) });
  return api.path;
}

describe.skipIf(!built)('qplug proxy api (skipped: run `npm run build:ts` first)', () => {
  it('prints the reply and exits 0; an error reply exits 1 on stderr; --json sends the JSON variant', async () => {
    const path = await serve();
    const state = await qplug(['proxy', 'api', path, 'show servers state']);
    expect(state).toMatchObject({ code: 0, stderr: '' });
    expect(state.stdout).toBe(
      '# backend server address admin weight injected check effective current\nmain s1 127.0.0.1:9001 ready 1 auto none up 0\nmain s2 127.0.0.1:9002 ready 1 auto none up 0\n',
    );
    const disabled = await qplug(['proxy', 'api', path, 'disable', 'server', 'main/s1']);
    expect(disabled).toMatchObject({ code: 0, stdout: 'main/s1: admin maint, weight 1, health auto, check none -> maint\n' });
    const weight = await qplug(['proxy', 'api', path, 'set weight main/s2 010']);
    expect(weight.stdout).toBe('main/s2: admin ready, weight 10, health auto, check none -> up\n');
    const json = await qplug(['proxy', 'api', path, 'show servers state', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject([{ server: 's1', admin: 'maint' }, { server: 's2', weight: 10 }]);
    const help = await qplug(['proxy', 'api', path, 'help --json']);
    expect(JSON.parse(help.stdout).map((r: { command: string }) => r.command)).toContain('set weight');
    const bad = await qplug(['proxy', 'api', path, 'set weight main/s9 1']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe("qplug: no server 's9' in backend main (did you mean 's1'?) [E_PROXY]\n");
  });

  it('exits 4 when no API is there and 5 when the socket is not ours', async () => {
    const missing = await qplug(['proxy', 'api', join(dir, 'nope.sock'), 'show info']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^qplug: no runtime API at .*nope\.sock: no such socket .*\[E_PROXY\]\n$/);
    const path = api?.path ?? (await serve());
    if (process.getuid?.() === 0) {
      chmodSync(dir, 0o755);
      try {
        const denied = await qplug(['proxy', 'api', path, 'show info'], { uid: 65534 });
        expect(denied.code).toBe(5);
        expect(denied.stderr).toMatch(/permission denied on .*api\.sock: the API socket is 0600/);
      } finally {
        chmodSync(dir, 0o700);
      }
    } else {
      chmodSync(path, 0o000);
      expect((await qplug(['proxy', 'api', path, 'show info'])).code).toBe(5);
      chmodSync(path, 0o600);
    }
  });
});
