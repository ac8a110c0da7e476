/**
 * `node dist/proxy/main.js <config>`: what scenario services run instead of
 * `qplug proxy -c <config> --json`. The same lines and exit codes: a usage
 * error, a bad config (its early worker does not outlive it), and a proxy that
 * serves, reloads over its API and stops on SIGTERM with its summary.
 * Needs `npm run build`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable, loadNative } from '../../src/native/loadNative.js';
import { apiRequest } from '../../src/proxy/api/client.js';
import { onLines } from '../../src/scenarios/run/proc.js';
import { roundTrip, until } from '../helpers/net.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = join(root, 'dist', 'proxy', 'main.js');
const ready = existsSync(main) && nativeAvailable() && typeof loadNative().ProxyEngine === 'function';
const dir = mkdtempSync(join(tmpdir(), 'qplug-main-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ready)('node dist/proxy/main.js (skipped: needs `npm run build` and the native addon)', () => {
  it('without a config file: the usage line, exit 2', () => {
    const r = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^qplug: usage: node dist\/proxy\/main\.js <config\.yaml> .*\[E_USAGE\]\n$/);
  });

  it('a bad config: one JSON error line and exit 2, and the worker it forked early is gone with it', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'frontends: { main: { bind: "127.0.0.1:0", backend: nowhere } }\nbackends: {}\n');
    // spawnSync also waits for stdout to close: a worker left behind would hold it open.
    const r = spawnSync(process.execPath, [main, bad], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(2);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; problems: string[] } };
    expect(error.code).toBe('E_CONFIG');
    expect(error.problems.join('\n')).toMatch(/bad\.yaml:2:1: backends: needs at least one entry/);
  });

  it('serves, reloads through its API, and stops on SIGTERM with the summary line', async () => {
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const api = join(dir, 'api.sock');
    const config = join(dir, 'good.yaml');
    writeFileSync(config, `global: { api: ${api}, grace: 1s }\nfrontends: { main: { bind: "127.0.0.1:0", backend: app } }\nbackends: { app: { servers: [{ name: s1, address: "127.0.0.1:${(echo.address() as AddressInfo).port}" }] } }\n`);
    const child = spawn(process.execPath, [main, config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    onLines(child.stdout, (l) => lines.push(l));
    const waitLine = async (re: RegExp) => {
      await until(() => lines.some((l) => re.test(l)), `a line matching ${re}`, 15_000);
      return JSON.parse(lines.find((l) => re.test(l))!) as Record<string, unknown>;
    };
    try {
      const readyLine = await waitLine(/"event":"ready"|"frontends"/);
      const port = (readyLine.frontends as { port: number }[])[0]!.port;
      expect(readyLine.pid).toBe(child.pid);
      await waitLine(/^\{"event":"api"/);
      const ping = async () => (await roundTrip(port, Buffer.from('ping'), 10_000)).toString();
      expect(await ping()).toBe('ping');
      const reply = await apiRequest(api, 'reload reuseport --json', { timeoutMs: 20_000 });
      expect(reply.ok).toBe(true);
      expect(JSON.parse(reply.lines.join(''))).toMatchObject({ strategy: 'reuseport' });
      expect(await ping()).toBe('ping');
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      await waitLine(/"event":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      echo.close();
    }
  }, 60_000);
});
