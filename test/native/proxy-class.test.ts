/**
 * The Proxy class over the native engine: real bytes, real health checks.
 * (The same Proxy over the fake engine: test/unit/proxy-health-proxy.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { Proxy, nativeEngineFactory } from '../../src/proxy/Proxy.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { roundTrip, until } from '../helpers/net.js';

const running: Proxy[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop({ graceMs: 0 })));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});


async function echoServer(): Promise<number> {
  const server = createServer((socket) => socket.on('error', () => undefined).pipe(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}


describe('Proxy over the native engine', () => {
  for (const splice of [false, true]) {
    it(`relays bytes both ways (${splice ? 'splice' : 'copy'}), reports the close and the stats`, async () => {
      const port = await echoServer();
      const config = proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: [`127.0.0.1:${port}`], splice, bufferSize: '16k', bufferPool: '1m' });
      const proxy = await Proxy.start(config, { engineFactory: nativeEngineFactory, eventIntervalMs: 10 });
      running.push(proxy);
      const closes: Array<{ path: string | null; result: string }> = [];
      proxy.on('connection', (e) => closes.push(e));
      const payload = Buffer.alloc(300_000, 7);
      const echoed = await roundTrip(proxy.addresses()[0]!.port, payload);
      expect(echoed.equals(payload)).toBe(true);
      await until(() => closes.length === 1, 'the close event');
      expect(closes[0]).toMatchObject({ path: splice ? 'splice' : 'copy', result: 'ok', bytesIn: payload.length, bytesOut: payload.length });
      const stats = await proxy.stop({ graceMs: 100 });
      expect(stats.connections.total).toBe(1);
      expect(stats.frontends[0]).toMatchObject({ bytesIn: payload.length, bytesOut: payload.length });
    });
  }

  it('a server that health checks take DOWN gets no new connections', async () => {
    const live = await echoServer();
    const config = parseProxyConfig(
      `frontends:\n  web: { bind: 127.0.0.1:0, backend: app }\nbackends:\n  app:\n    check: { interval: 20ms, timeout: 200ms, rise: 1, fall: 1 }\n    servers:\n      - { name: dead, address: 127.0.0.1:1 }\n      - { name: live, address: 127.0.0.1:${live} }\n`,
    );
    const proxy = await Proxy.start(config, { engineFactory: nativeEngineFactory });
    running.push(proxy);
    await until(() => proxy.health().find((h) => h.server === 'dead')?.check === 'down', 'dead to go DOWN');
    for (let i = 0; i < 4; i++) expect((await roundTrip(proxy.addresses()[0]!.port, Buffer.from('hi'))).toString()).toBe('hi');
    const servers = proxy.stats().backends[0]!.servers;
    expect(servers.find((s) => s.name === 'dead')).toMatchObject({ enabled: false, check: 'down', total: 0 });
    expect(servers.find((s) => s.name === 'live')).toMatchObject({ enabled: true, total: 4 });
  });

  it('binding a port in use is a ProxyError naming the frontend', async () => {
    const taken = await echoServer();
    const config = proxyConfigFromOptions({ listen: `127.0.0.1:${taken}`, backends: ['127.0.0.1:1'] });
    await expect(Proxy.start(config, { engineFactory: nativeEngineFactory })).rejects.toMatchObject({
      code: 'E_PROXY',
      message: `cannot listen on 127.0.0.1:${taken} for frontend main: address in use (EADDRINUSE): pick another port or stop what holds it`,
    });
  });
});
