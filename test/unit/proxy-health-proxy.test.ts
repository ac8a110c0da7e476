/**
 * The Proxy class over the engine contract, against the fake engine.
 * The same class over the native engine: test/native/proxy-class.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Server } from 'node:net';
import { Proxy } from '../../src/proxy/Proxy.js';
import { runProxy } from '../../src/proxy/foreground.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import type { HealthTransition, Probe } from '../../src/proxy/health.js';
import { ProxyError } from '../../src/errors.js';
import { fakeEngines } from './proxy-fake-engine.js';
import { until } from '../helpers/net.js';


const CONFIG = `
global: { threads: 2, buffer_size: 16k, buffer_pool: 1m, pipe_size: 128k, max_idle_pipes: 8, grace: 300ms }
frontends:
  web: { bind: 127.0.0.1:0, backend: app, splice: true, maxconn: 9, backlog: 16, timeout: { client: 7s } }
  api: { bind: 127.0.0.1:0, backend: app }
backends:
  app:
    splice: true
    balance: leastconn
    retries: 2
    redispatch: true
    timeout: { connect: 1s, server: 8s, queue: 2s }
    check: { interval: 10ms, timeout: 100ms, rise: 1, fall: 2 }
    servers:
      - { name: s1, address: 127.0.0.1:9001, weight: 3, maxconn: 4 }
      - { name: s2, address: 127.0.0.1:9002, check: false }
`;

const running: Proxy[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop({ graceMs: 0 })));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});


describe('Proxy over the fake engine', () => {
  const downS1: Probe = async (_h, port) => (port === 9001 ? { ok: false, error: 'connect ECONNREFUSED' } : { ok: true });

  it('builds the engine from the config and reports the bound addresses', async () => {
    const { factory, made } = fakeEngines();
    const proxy = await Proxy.start(parseProxyConfig(CONFIG, 'c.yaml'), { engineFactory: factory, probe: async () => ({ ok: true }) });
    running.push(proxy);
    const engine = made[0]!;
    expect(engine.options).toMatchObject({ threads: 2, bufferSize: 16384, poolBuffers: 64, pipeSize: 131072, maxIdlePipes: 8 });
    expect(typeof engine.options.onEvents).toBe('function');
    expect(engine.backends.get('app')!.spec).toEqual({
      name: 'app',
      balance: 'leastconn',
      splice: true,
      retries: 2,
      redispatch: true,
      connectTimeoutMs: 1000,
      serverTimeoutMs: 8000,
      queueTimeoutMs: 2000,
      servers: [
        { name: 's1', host: '127.0.0.1', port: 9001, weight: 3, maxconn: 4 },
        { name: 's2', host: '127.0.0.1', port: 9002, weight: 1, maxconn: 0 },
      ],
    });
    expect(engine.frontends[0]).toMatchObject({ name: 'web', host: '127.0.0.1', port: 0, backend: 'app', backlog: 16, maxconn: 9, clientTimeoutMs: 7000, splice: true });
    expect(engine.started).toBe(true);
    expect(proxy.addresses()).toEqual([
      { frontend: 'web', host: '127.0.0.1', port: 40000, backend: 'app', servers: 2, splice: true },
      { frontend: 'api', host: '127.0.0.1', port: 40001, backend: 'app', servers: 2, splice: false },
    ]);
  });

  it('a health transition disables the server in the engine, emits an event and shows in stats()', async () => {
    const { factory, made } = fakeEngines();
    const proxy = await Proxy.start(parseProxyConfig(CONFIG), { engineFactory: factory, probe: downS1 });
    running.push(proxy);
    const seen: HealthTransition[] = [];
    proxy.on('health', (t) => seen.push(t));
    await until(() => seen.length > 0, 'a transition');
    expect(seen[0]!.message).toBe('server app/s1 is DOWN: connect ECONNREFUSED (2 failures)');
    expect(made[0]!.setServerCalls).toEqual([{ backend: 'app', server: 's1', change: { enabled: false } }]);
    const servers = proxy.stats().backends[0]!.servers;
    expect(servers[0]).toMatchObject({ name: 's1', enabled: false, check: 'down', consecutiveFailures: expect.any(Number), lastCheckError: 'connect ECONNREFUSED' });
    expect(servers[1]).toMatchObject({ name: 's2', enabled: true, check: 'none', consecutiveFailures: 0, lastCheckError: null });
  });

  it('forwards the engine connection events, or asks for none', async () => {
    const { factory, made } = fakeEngines();
    const proxy = await Proxy.start(parseProxyConfig(CONFIG), { engineFactory: factory, probe: async () => ({ ok: true }) });
    running.push(proxy);
    const events: unknown[] = [];
    proxy.on('connection', (e) => events.push(e));
    const event = { type: 'close', id: 1, frontend: 'web', backend: 'app', server: 's1', path: 'splice', bytesIn: 5, bytesOut: 5, connectAttempts: 1, queuedMs: 0, durationMs: 3, result: 'ok' } as const;
    made[0]!.deliver([event, { ...event, id: 2 }]);
    expect(events).toEqual([event, { ...event, id: 2 }]);
    const quiet = fakeEngines();
    running.push(await Proxy.start(parseProxyConfig(CONFIG), { engineFactory: quiet.factory, connectionEvents: false }));
    expect(quiet.made[0]!.options.onEvents).toBeUndefined();
  });

  it('a bind failure is one ProxyError line, and the engine is stopped', async () => {
    const { factory, made } = fakeEngines({ api: 'EADDRINUSE' });
    const config = parseProxyConfig(CONFIG.replace('api: { bind: 127.0.0.1:0', 'api: { bind: 127.0.0.1:8080'));
    const failed = Proxy.start(config, { engineFactory: factory });
    await expect(failed).rejects.toBeInstanceOf(ProxyError);
    await expect(failed).rejects.toMatchObject({
      code: 'E_PROXY',
      exitCode: 1,
      message: 'cannot listen on 127.0.0.1:8080 for frontend api: address in use (EADDRINUSE): pick another port or stop what holds it',
      details: { frontend: 'api', errnoName: 'EADDRINUSE' },
    });
    expect(made[0]!.stopCalls).toEqual([0]);
  });

  it('stop() stops the checks, gives the engine the grace, is idempotent and resolves with the final stats', async () => {
    const { factory, made } = fakeEngines();
    let probes = 0;
    const proxy = await Proxy.start(parseProxyConfig(CONFIG), { engineFactory: factory, probe: async () => (probes++, { ok: true }) });
    await until(() => probes >= 2, 'two checks');
    const first = proxy.stop();
    expect(proxy.stop()).toBe(first);
    const stats = await first;
    expect(made[0]!.stopCalls).toEqual([300]);
    expect(stats.results).toEqual({ ok: 2, 'connect-failed': 1 });
    const after = probes;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(probes).toBe(after);
  });

  it('runProxy prints ready lines, transitions and a summary; --json prints JSON lines', async () => {
    const lines: string[] = [];
    let stop!: (reason: string) => void;
    const until = new Promise<string>((resolve) => (stop = resolve));
    const { factory } = fakeEngines();
    const done = runProxy(parseProxyConfig(CONFIG), { engineFactory: factory, probe: downS1, write: (l) => lines.push(l), until });
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop('SIGTERM');
    await done;
    expect(lines[0]).toBe('proxy: web listening on 127.0.0.1:40000 -> app (2 servers, splice)');
    expect(lines[1]).toBe('proxy: api listening on 127.0.0.1:40001 -> app (2 servers, copy)');
    expect(lines).toContain('proxy: server app/s1 is DOWN: connect ECONNREFUSED (2 failures)');
    expect(lines.at(-1)).toMatch(/^proxy: stopped \(SIGTERM\) after \d+ms: 3 connections \(2 ok, 1 connect-failed\), 200B in, 400B out$/);

    const json: string[] = [];
    let stopJson!: (reason: string) => void;
    const untilJson = new Promise<string>((resolve) => (stopJson = resolve));
    const doneJson = runProxy(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:1'] }), {
      engineFactory: fakeEngines().factory,
      json: true,
      write: (l) => json.push(l),
      until: untilJson,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    stopJson('SIGINT');
    await doneJson;
    const parsed = json.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toEqual({ event: 'ready', frontends: [{ name: 'main', host: '127.0.0.1', port: 40000, backend: 'main', servers: 1, splice: false }] });
    expect(parsed.at(-1)).toMatchObject({ event: 'stopped', reason: 'SIGINT', connections: { total: 3 }, bytesIn: 100, bytesOut: 200, results: { ok: 2 } });
  });
});
