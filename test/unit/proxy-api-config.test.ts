/**
 * Where the runtime API comes from: global.api in the file, --api in the
 * one-line form, and runProxy serving it (fake engine, socket in a temp dir).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest } from '../../src/proxy/api/client.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { runProxy } from '../../src/proxy/foreground.js';
import { ConfigError } from '../../src/errors.js';
import { fakeEngines } from './proxy-fake-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'qplug-api-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REST = 'frontends:\n  web: { bind: 127.0.0.1:0, backend: app }\nbackends:\n  app:\n    servers: [{ name: s1, address: 127.0.0.1:9001 }]\n';

function problems(text: string): string[] {
  try {
    parseProxyConfig(text, 'p.yaml');
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('global.api and --api', () => {
  it('global.api is the socket path; absent means no API', () => {
    expect(parseProxyConfig(`global: { api: /run/qplug/web.sock }\n${REST}`).global.api).toBe('/run/qplug/web.sock');
    expect(parseProxyConfig(REST).global.api).toBeUndefined();
    expect(problems(`global: { api: 12 }\n${REST}`)).toEqual(['p.yaml:1:16: global.api: expected a string, got the number 12 (e.g. /run/qplug/proxy.sock)']);
    expect(problems(`global: { api: /tmp/${'x'.repeat(110)} }\n${REST}`)).toEqual([
      'p.yaml:1:16: global.api: the runtime API socket path is 115 bytes; unix sockets allow 107 (use a shorter path)',
    ]);
  });

  it('--api sets it in the one-line form', () => {
    expect(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:1'], api: 'p.sock' }).global.api).toBe('p.sock');
    expect(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:1'] }).global.api).toBeUndefined();
    expect(() => proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:1'], api: '' })).toThrow(
      '--api: the runtime API socket path must be a non-empty path without NUL bytes',
    );
  });

  it('runProxy serves the API while it runs (before the ready line) and removes the socket when it stops', async () => {
    const path = join(dir, 'run.sock');
    const lines: string[] = [];
    let stop!: (reason: string) => void;
    const until = new Promise<string>((resolve) => (stop = resolve));
    const done = runProxy(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:9001'], api: path }), {
      engineFactory: fakeEngines().factory,
      json: true,
      write: (l) => lines.push(l),
      until,
    });
    const deadline = Date.now() + 5000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['ready', 'api']);
    expect(JSON.parse(lines[1]!)).toEqual({ event: 'api', path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const reply = await apiRequest(path, 'show info', { timeoutMs: 5000 });
    expect(reply.lines).toContain('frontend main: 127.0.0.1:40000 -> main, listening');
    stop('SIGTERM');
    await done;
    expect(existsSync(path)).toBe(false);
  });

  it('runProxy fails, and stops the proxy, when the API socket cannot be served', async () => {
    const { factory, made } = fakeEngines();
    const config = proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:9001'], api: join(dir, 'missing-dir', 'x.sock') });
    await expect(runProxy(config, { engineFactory: factory, write: () => undefined, until: new Promise(() => undefined) })).rejects.toMatchObject({
      code: 'E_PROXY',
      message: expect.stringMatching(/^cannot serve the runtime API on .*x\.sock: its directory does not exist \(ENOENT\)$/),
    });
    expect(made[0]!.stopped).toBe(true);
  });
});
