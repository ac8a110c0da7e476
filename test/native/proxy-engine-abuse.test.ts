/**
 * The ProxyEngine boundary: bad arguments throw TypeError/RangeError (never a
 * crash), failures carry code/errno/call, and the control calls (listeners,
 * fd handoff, stop) behave as the contract says.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NativeProxyEngine } from '../../src/native/AddonTypes.js';
import { loadNative } from '../../src/native/loadNative.js';
import { thrown } from './fixtures.js';
import { backendSpec, connect, echoServer, engineOptions, fdCount, frontendSpec, serverSpec, waitFor, within } from './fixtures/proxy-helpers.js';

type Loose = Record<string, (...args: unknown[]) => unknown>;
const loose = (engine: NativeProxyEngine): Loose => engine as unknown as Loose;
const Engine = (): new (options: unknown) => NativeProxyEngine => loadNative().ProxyEngine as unknown as new (options: unknown) => NativeProxyEngine;

describe('ProxyEngine boundary', () => {
  const engines: NativeProxyEngine[] = [];
  const make = (options: unknown = engineOptions()): NativeProxyEngine => {
    const engine = new (Engine())(options);
    engines.push(engine);
    return engine;
  };
  afterEach(async () => {
    for (const engine of engines.splice(0)) await within(5000, 'stop', engine.stop(0));
  });

  it.each<[string, unknown, typeof TypeError | typeof RangeError]>([
    ['no options', undefined, TypeError],
    ['options not an object', 'fast', TypeError],
    ['threads as a string', { ...engineOptions(), threads: '2' }, TypeError],
    ['threads 0', { ...engineOptions(), threads: 0 }, RangeError],
    ['bufferSize missing', { ...engineOptions(), bufferSize: undefined }, TypeError],
    ['poolBuffers fractional', { ...engineOptions(), poolBuffers: 1.5 }, RangeError],
    ['onEvents not a function', { ...engineOptions(), onEvents: 5 }, TypeError],
  ])('constructor rejects %s', (_, options, kind) => {
    expect(() => new (Engine())(options)).toThrow(kind);
  });

  it.each<[string, string, unknown[], typeof TypeError | typeof RangeError]>([
    ['addBackend', 'no spec', [], TypeError],
    ['addBackend', 'servers not an array', [{ ...backendSpec([]), servers: {} }], TypeError],
    ['addBackend', 'a host name', [backendSpec([serverSpec('s', 80, { host: 'localhost' })])], RangeError],
    ['addBackend', 'an unknown balance', [{ ...backendSpec([]), balance: 'random' }], RangeError],
    ['addBackend', 'retries as a string', [{ ...backendSpec([]), retries: '1' }], TypeError],
    ['addBackend', 'weight 257', [backendSpec([serverSpec('s', 80, { weight: 257 })])], RangeError],
    ['addFrontend', 'an array', [[]], TypeError],
    ['addFrontend', 'port 70000', [frontendSpec({ port: 70000 })], RangeError],
    ['addFrontend', 'splice missing', [{ ...frontendSpec(), splice: undefined }], TypeError],
    ['setServer', 'numbers for names', [1, 2, {}], TypeError],
    ['setServer', 'no change object', ['be', 's'], TypeError],
    ['setServer', 'enabled as a string', ['be', 's', { enabled: 'yes' }], TypeError],
    ['setServer', 'weight 300', ['be', 's', { weight: 300 }], RangeError],
    ['stop', 'a string grace', ['soon'], TypeError],
    ['stop', 'a negative grace', [-1], RangeError],
  ])('%s rejects %s', (method, _, args, kind) => {
    const engine = make();
    expect(() => loose(engine)[method]!(...args)).toThrow(kind);
  });

  it('reports failures with code, errno and call', async () => {
    const engine = make();
    engine.addBackend(backendSpec([serverSpec('s', 9)]));
    expect(thrown(() => engine.addBackend(backendSpec([])))).toMatchObject({ code: 'EINVAL', call: 'addBackend' });
    expect(thrown(() => engine.addFrontend(frontendSpec({ backend: 'nope' })))).toMatchObject({ code: 'ENOENT', call: 'addFrontend' });
    expect(thrown(() => engine.setServer('nope', 's', { enabled: false }))).toMatchObject({ code: 'ENOENT', call: 'setServer' });
    expect(thrown(() => engine.setServer('be', 'nope', { enabled: false }))).toMatchObject({ code: 'ENOENT', call: 'setServer' });

    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const error = thrown(() => engine.addFrontend(frontendSpec({ port })));
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ code: 'EADDRINUSE', call: 'bind', errno: 98 });
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
    engine.start();
    expect(thrown(() => engine.start())).toMatchObject({ code: 'EINVAL', call: 'start' });
    expect(thrown(() => engine.addBackend(backendSpec([], { name: 'late' })))).toMatchObject({ code: 'EINVAL' });
  });

  it('stops idempotently after the grace period, frees every fd, and refuses work afterwards', async () => {
    const echo = await echoServer();
    const before = fdCount();
    const engine = new (Engine())(engineOptions({ threads: 3 }));
    engine.addBackend(backendSpec([serverSpec('s', echo.port)]));
    const { port } = engine.addFrontend(frontendSpec());
    engine.start();
    const idle = await connect(port);
    idle.on('error', () => {});
    await waitFor('the connection to be relayed', () => engine.stats().connections.splice + engine.stats().connections.copy === 1);
    const started = Date.now();
    const first = engine.stop(200);
    expect(engine.stop(0)).toBe(first);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    await within(5000, 'stop', first);
    clearInterval(ticker);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(ticks).toBeGreaterThan(5); // the event loop kept turning during the grace period
    expect(engine.stats().results.stopped).toBe(1);
    idle.destroy();
    await waitFor('upstream sockets to close', () => echo.sockets.size === 0);
    expect(fdCount()).toBe(before);
    await echo.close();
    expect(thrown(() => engine.addFrontend(frontendSpec({ name: 'again' })))).toMatchObject({ code: 'ECLOSED' });
    expect(thrown(() => engine.start())).toMatchObject({ code: 'ECLOSED' });
    expect(engine.stats().frontends[0]?.listening).toBe(false);
    expect(engine.listenerFds()).toEqual([]);
  });

  it('pauses, resumes and closes listeners, and hands a listener to another engine', async () => {
    const echo = await echoServer();
    try {
      const old = make();
      old.addBackend(backendSpec([serverSpec('s', echo.port)]));
      const bound = old.addFrontend(frontendSpec({ reusePort: true }));
      old.start();
      old.pauseListeners();
      expect(old.stats().frontends[0]?.listening).toBe(false);
      old.resumeListeners();
      expect(old.stats().frontends[0]?.listening).toBe(true);
      const fds = old.listenerFds();
      expect(fds).toEqual([{ frontend: 'fe', fd: bound.fd }]);

      // Reload: the new engine adopts a dup of the listening socket; the old one lets go.
      const next = make();
      next.addBackend(backendSpec([serverSpec('s', echo.port)]));
      const adopted = next.addFrontend(frontendSpec({ fd: fds[0]!.fd }));
      expect(adopted).toMatchObject({ host: '127.0.0.1', port: bound.port });
      expect(adopted.fd).not.toBe(bound.fd);
      old.closeListeners();
      expect(old.listenerFds()).toEqual([]);
      next.start();
      const socket = await connect(bound.port);
      let got = '';
      socket.on('data', (data: Buffer) => (got += data.toString()));
      socket.write('handed over');
      await waitFor('echo through the new engine', () => got === 'handed over');
      socket.destroy();
      expect(next.stats().connections.total).toBe(1);
      expect(old.stats().connections.total).toBe(0);

      // SO_REUSEPORT lets a third engine bind the same port.
      const twin = make();
      twin.addBackend(backendSpec([serverSpec('s', echo.port)]));
      expect(twin.addFrontend(frontendSpec({ port: bound.port, reusePort: true })).port).toBe(bound.port);
    } finally {
      for (const engine of engines.splice(0)) await within(5000, 'stop', engine.stop(0));
      await echo.close();
    }
  });
});
