/**
 * The runtime API over a real Proxy (native engine) on a unix socket in a
 * temp dir: what the commands change is what the relay does, and the state
 * exported by one Proxy comes back in the next (what a reload carries).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../src/proxy/api/client.js';
import { ApiServer } from '../../src/proxy/api/server.js';
import { proxyTarget } from '../../src/proxy/api/target.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { Proxy, nativeEngineFactory } from '../../src/proxy/Proxy.js';
import type { ProxyConfig } from '../../src/proxy/configSchema.js';
import { Cleanup, answers, namedServer, socketDir } from './proxy-api-fixtures.js';

const dir = socketDir('qplug-api-native-');
let count = 0;
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function config(ports: { a: number; b: number }, api: string): ProxyConfig {
  return parseProxyConfig(
    `global: { api: ${api} }\nfrontends:\n  web: { bind: 127.0.0.1:0, backend: app }\nbackends:\n  app:\n    check: { interval: 50ms, timeout: 500ms, rise: 1, fall: 1 }\n    servers:\n      - { name: a, address: 127.0.0.1:${ports.a} }\n      - { name: b, address: 127.0.0.1:${ports.b}, check: false }\n`,
    'native-api.yaml',
  );
}

async function start(cfg: ProxyConfig, serverState?: ReturnType<Proxy['serverState']>): Promise<{ proxy: Proxy; api: ApiServer; client: ApiClient; port: number }> {
  const proxy = await Proxy.start(cfg, { engineFactory: nativeEngineFactory, connectionEvents: false, ...(serverState ? { serverState } : {}) });
  cleanup.add(() => proxy.stop({ graceMs: 0 }));
  const api = await ApiServer.start({ path: cfg.global.api!, target: proxyTarget(proxy) });
  cleanup.add(() => api.close());
  const client = await ApiClient.connect(api.path, { timeoutMs: 5000 });
  cleanup.add(() => client.close());
  return { proxy, api, client, port: proxy.addresses()[0]!.port };
}

async function ok(client: ApiClient, command: string): Promise<string[]> {
  const reply = await client.send(command);
  if (!reply.ok) throw new Error(`'${command}': ${reply.error}`);
  return reply.lines;
}

describe('runtime API over the native engine', () => {
  it('disable server, set server health and set weight decide where connections go', async () => {
    const ports = { a: await namedServer(cleanup, 'A'), b: await namedServer(cleanup, 'B') };
    const { client, port, api } = await start(config(ports, join(dir, `t${count++}.sock`)));
    expect(statSync(api.path).mode & 0o777).toBe(0o600);
    expect(await answers(port, 4)).toEqual({ A: 2, B: 2 });

    expect(await ok(client, 'disable server app/a')).toEqual(['app/a: admin maint, weight 1, health auto, check up -> maint']);
    expect(await answers(port, 4)).toEqual({ B: 4 });

    await ok(client, 'enable server app/a');
    await ok(client, 'set server app/b health down');
    expect(await answers(port, 4)).toEqual({ A: 4 });

    await ok(client, 'set server app/b health auto');
    await ok(client, 'set weight app/a 3');
    const weighted = await answers(port, 8);
    expect(weighted.A).toBeGreaterThan(weighted.B ?? 0);

    await ok(client, 'set weight app/a 0');
    await ok(client, 'set server app/b health down');
    expect(await answers(port, 2)).toEqual({ none: 2 });
    expect(await client.send('show servers state')).toMatchObject({ ok: true });
    const stat = await ok(client, 'show stat');
    expect(stat.find((l) => l.startsWith('app,a,'))).toMatch(/^app,a,server,UP,0,0,/);
  });

  it('injected health overrides a real check result until auto', async () => {
    const ports = { a: await namedServer(cleanup, 'A'), b: await namedServer(cleanup, 'B') };
    const { client, proxy } = await start(config({ a: 1, b: ports.b }, join(dir, `t${count++}.sock`)));
    const deadline = Date.now() + 5000;
    while (proxy.health().find((h) => h.server === 'a')?.check !== 'down' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await ok(client, 'show servers state'))[1]).toBe('app a 127.0.0.1:1 ready 1 auto down down 0');
    expect(await ok(client, 'set server app/a health up')).toEqual(['app/a: admin ready, weight 1, health up, check down -> up']);
    expect(proxy.stats().backends[0]!.servers[0]!.enabled).toBe(true);
    expect(await ok(client, 'set server app/a health auto')).toEqual(['app/a: admin ready, weight 1, health auto, check down -> down']);
    expect(proxy.stats().backends[0]!.servers[0]!.enabled).toBe(false);
  });

  it('after disable server, set weight and set server health down, the next Proxy started with the exported state shows the same `show servers state`', async () => {
    const ports = { a: await namedServer(cleanup, 'A'), b: await namedServer(cleanup, 'B') };
    const path = join(dir, `t${count++}.sock`);
    const first = await start(config(ports, path));
    await ok(first.client, 'disable server app/a');
    await ok(first.client, 'set weight app/b 7');
    await ok(first.client, 'set server app/b health down');
    const before = await ok(first.client, 'show servers state');
    expect(before).toEqual([
      '# backend server address admin weight injected check effective current',
      `app a 127.0.0.1:${ports.a} maint 1 auto up maint 0`,
      `app b 127.0.0.1:${ports.b} ready 7 down none down 0`,
    ]);
    const exported = JSON.parse((await ok(first.client, 'show servers state --json'))[0]!);
    first.client.close();
    await first.api.close();
    await first.proxy.stop({ graceMs: 0 });

    const second = await start(config(ports, path), exported);
    expect(await ok(second.client, 'show servers state')).toEqual(before);
    expect(await answers(second.port, 2)).toEqual({ none: 2 });
    await ok(second.client, 'set server app/b health auto');
    expect(await answers(second.port, 2)).toEqual({ B: 2 });
  });
});
