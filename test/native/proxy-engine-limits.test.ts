/**
 * Limits and failures: frontend maxconn (the kernel's accept queue holds the
 * rest), server maxconn and the backend queue, retries and redispatch,
 * connect/client/server/queue timeouts, balancing and operational changes.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeEngineEvent, NativeProxyEngine } from '../../src/native/AddonTypes.js';
import { loadNative } from '../../src/native/loadNative.js';
import {
  backendSpec,
  closedByPeer,
  connect,
  echoServer,
  engineOptions,
  fdCount,
  frontendSpec,
  refusedPort,
  serverSpec,
  startEngine,
  upstream,
  waitFor,
  within,
  type Upstream,
} from './fixtures/proxy-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes text and resolves once the same text came back (echo upstream). */
async function roundTrip(socket: net.Socket, text: string, timeoutMs = 3000): Promise<void> {
  let got = '';
  const onData = (data: Buffer): void => {
    got += data.toString();
  };
  socket.on('data', onData);
  socket.write(text);
  try {
    await waitFor(`echo of ${text}`, () => got === text, timeoutMs);
  } finally {
    socket.off('data', onData);
  }
}

describe('proxy engine limits', () => {
  let echo: Upstream;
  let silent: Upstream;
  const engines: NativeProxyEngine[] = [];
  const sockets: net.Socket[] = [];
  let fdsBefore = 0;

  beforeAll(async () => {
    echo = await echoServer();
    // Reads and drops everything, never answers; ends when the peer does.
    silent = await upstream((socket) => socket.resume().on('end', () => socket.end()));
    fdsBefore = fdCount();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const engine of engines.splice(0)) await within(5000, 'stop', engine.stop(0));
  });
  afterAll(async () => {
    await waitFor('upstream sockets to close', () => echo.sockets.size + silent.sockets.size === 0);
    expect(fdCount()).toBe(fdsBefore);
    await echo?.close();
    await silent?.close();
  });

  /** Starts an engine that the afterEach hook stops; events go to the returned array. */
  function engineWith(backend = backendSpec([serverSpec('s1', echo.port)]), frontend = frontendSpec()): { engine: NativeProxyEngine; port: number; events: NativeEngineEvent[] } {
    const events: NativeEngineEvent[] = [];
    const running = startEngine(engineOptions({ onEvents: (batch) => events.push(...batch), eventIntervalMs: 10 }), backend, frontend);
    engines.push(running.engine);
    return { ...running, events };
  }
  async function client(port: number): Promise<net.Socket> {
    const socket = await connect(port);
    sockets.push(socket);
    socket.on('error', () => {});
    return socket;
  }

  it('reports each closed connection once, with its bytes and path, over IPv6 too', async () => {
    const { engine, port, events } = engineWith(backendSpec([serverSpec('s1', echo.port)]));
    const socket = await client(port);
    await roundTrip(socket, 'hello');
    socket.end();
    await within(3000, 'close', closedByPeer(socket));
    await waitFor('the close event', () => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'close', id: 1, frontend: 'fe', backend: 'be', server: 's1', path: 'copy', bytesIn: 5, bytesOut: 5, connectAttempts: 1, result: 'ok' });
    expect(events[0]?.errorCode).toBeUndefined();
    expect(engine.stats().frontends[0]).toMatchObject({ bytesIn: 5, bytesOut: 5, current: 0, total: 1 });

    const v6 = engineWith(backendSpec([serverSpec('s1', echo.port)], { name: 'v6' }), frontendSpec({ name: 'v6', host: '::1', backend: 'v6' }));
    expect(v6.engine.stats().frontends[0]?.host).toBe('::1');
    const viaV6 = await new Promise<net.Socket>((resolve, reject) => {
      const s6 = net.connect({ port: v6.port, host: '::1' }, () => resolve(s6)).once('error', reject);
    });
    sockets.push(viaV6);
    await roundTrip(viaV6, 'six');
  });

  it.each([false, true])('closes both sides on a reset, with the side that reset (splice %s)', async (splice) => {
    const resetter = await upstream((socket) => socket.once('data', () => socket.resetAndDestroy()).on('end', () => socket.end()));
    try {
      const { engine, port, events } = engineWith(
        backendSpec([serverSpec('rst', resetter.port)], { splice }),
        frontendSpec({ splice }),
      );
      const first = await client(port);
      first.write('provoke');
      await within(3000, 'server reset', closedByPeer(first));
      await waitFor('the server-reset event', () => events.length === 1);
      expect(events[0]).toMatchObject({ result: 'server-reset', errorCode: 'ECONNRESET', path: splice ? 'splice' : 'copy' });

      const second = await client(port);
      await waitFor('the relayed connection', () => engine.stats().connections.current === 1 && engine.stats().connections.total === 2);
      await waitFor('the upstream connection', () => resetter.sockets.size === 1);
      second.resetAndDestroy();
      await waitFor('the client-reset event', () => events.length === 2);
      expect(events[1]).toMatchObject({ result: 'client-reset', errorCode: 'ECONNRESET' });
      await waitFor('the upstream side closed too', () => resetter.sockets.size === 0);
      expect(engine.stats().connections.current).toBe(0);
    } finally {
      await resetter.close();
    }
  });

  it('holds connection maxconn+1 in the accept queue until one closes', async () => {
    const { engine, port } = engineWith(undefined, frontendSpec({ maxconn: 2 }));
    const first = await client(port);
    const second = await client(port);
    await roundTrip(first, 'one');
    await roundTrip(second, 'two');
    // The handshake completes in the kernel; the engine does not accept it.
    const third = await client(port);
    let got = '';
    third.on('data', (data: Buffer) => (got += data.toString()));
    third.write('three');
    await sleep(300);
    expect(got).toBe('');
    expect(engine.stats().frontends[0]).toMatchObject({ current: 2, peak: 2, total: 2, listening: true });
    first.end();
    await waitFor('the queued connection to be relayed', () => got === 'three');
    expect(engine.stats().frontends[0]?.total).toBe(3);
  });

  it('queues at server maxconn, dequeues when a slot frees, times out the queue', async () => {
    const { engine, port, events } = engineWith(backendSpec([serverSpec('s1', echo.port, { maxconn: 1 })], { queueTimeoutMs: 400 }));
    const first = await client(port);
    await roundTrip(first, 'a');
    const second = await client(port);
    let got = '';
    second.on('data', (data: Buffer) => (got += data.toString()));
    second.write('b');
    await waitFor('a queued connection', () => engine.stats().backends[0]?.queue.current === 1);
    expect(got).toBe('');
    first.destroy();
    await waitFor('the dequeued connection to be relayed', () => got === 'b');

    const third = await client(port); // second holds the only slot
    const started = Date.now();
    await within(3000, 'queue timeout', closedByPeer(third));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const stats = engine.stats();
    expect(stats.backends[0]?.queue).toMatchObject({ current: 0, peak: 1, total: 2, timeouts: 1 });
    expect(stats.results['queue-timeout']).toBe(1);
    await waitFor('the close event', () => events.find((event) => event.result === 'queue-timeout'));
    expect(events.find((event) => event.result === 'queue-timeout')).toMatchObject({ server: null, path: null, connectAttempts: 0 });
    expect(events.find((event) => event.result === 'queue-timeout')?.queuedMs).toBeGreaterThanOrEqual(300);
  });

  it('retries and redispatches to a second server when the first refuses', async () => {
    const refused = await refusedPort();
    const { engine, port } = engineWith(backendSpec([serverSpec('down', refused), serverSpec('up', echo.port)], { retries: 2, redispatch: true }));
    for (let i = 0; i < 6; i++) {
      const socket = await client(port);
      await roundTrip(socket, `r${i}`);
      socket.destroy();
    }
    const backend = engine.stats().backends[0];
    expect(backend?.connectErrors).toBeGreaterThan(0);
    expect(backend?.retries).toBe(backend?.connectErrors);
    expect(backend?.redispatches).toBe(backend?.connectErrors);
    expect(backend?.servers.find((server) => server.name === 'down')?.connectErrors).toBe(backend?.connectErrors);
    expect(backend?.servers.find((server) => server.name === 'up')?.total).toBe(6);
  });

  it('gives up after the retries with connect-failed and the errno', async () => {
    const refused = await refusedPort();
    const { engine, port, events } = engineWith(backendSpec([serverSpec('down', refused)], { retries: 2 }));
    const socket = await client(port);
    await within(3000, 'close', closedByPeer(socket));
    await waitFor('the close event', () => events.length === 1);
    expect(events[0]).toMatchObject({ result: 'connect-failed', errorCode: 'ECONNREFUSED', connectAttempts: 3, server: 'down', path: null });
    expect(engine.stats().backends[0]).toMatchObject({ connectErrors: 3, retries: 2, redispatches: 0 });
  });

  it('times out a connect to a server whose accept queue is full', async () => {
    // An engine that is never started listens but never accepts: backlog 1.
    const blackHole = new (loadNative().ProxyEngine)(engineOptions());
    engines.push(blackHole);
    blackHole.addBackend(backendSpec([serverSpec('none', echo.port)]));
    const hole = blackHole.addFrontend(frontendSpec({ backlog: 1 }));
    // Fill its accept queue until a handshake no longer completes.
    for (let i = 0; i < 8; i++) {
      const attempt = connect(hole.port);
      const done = await Promise.race([attempt.then((socket) => (sockets.push(socket), true)), sleep(200).then(() => false)]);
      if (!done) {
        void attempt.then((socket) => socket.destroy(), () => {});
        break;
      }
    }
    const { engine, port, events } = engineWith(backendSpec([serverSpec('hole', hole.port)], { connectTimeoutMs: 300 }));
    const socket = await client(port);
    const started = Date.now();
    await within(3000, 'connect timeout', closedByPeer(socket));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitFor('the close event', () => events.length === 1);
    expect(events[0]).toMatchObject({ result: 'connect-timeout', errorCode: 'ETIMEDOUT', server: 'hole' });
    expect(engine.stats().results['connect-timeout']).toBe(1);
  });

  it('closes an idle client after clientTimeoutMs and a silent server after serverTimeoutMs', async () => {
    const { engine, port } = engineWith(backendSpec([serverSpec('s1', echo.port)]), frontendSpec({ clientTimeoutMs: 300 }));
    const idle = await client(port);
    const started = Date.now();
    await within(3000, 'client timeout', closedByPeer(idle));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(engine.stats().results['client-timeout']).toBe(1);

    const quiet = engineWith(backendSpec([serverSpec('s1', silent.port)], { name: 'quiet', serverTimeoutMs: 300 }), frontendSpec({ name: 'q', backend: 'quiet' }));
    const asking = await client(quiet.port);
    asking.write('anyone?');
    const asked = Date.now();
    await within(3000, 'server timeout', closedByPeer(asking));
    expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
    expect(quiet.engine.stats().results['server-timeout']).toBe(1);
  });

  it('balances by weight and by least connections, and follows setServer', async () => {
    const weighted = engineWith(backendSpec([serverSpec('heavy', echo.port, { weight: 3 }), serverSpec('light', echo.port, { weight: 1 })]));
    for (let i = 0; i < 8; i++) {
      const socket = await client(weighted.port);
      await roundTrip(socket, 'w');
      socket.destroy();
    }
    const totals = weighted.engine.stats().backends[0]?.servers.map((server) => server.total);
    expect(totals).toEqual([6, 2]);

    const least = engineWith(backendSpec([serverSpec('a', echo.port), serverSpec('b', echo.port)], { name: 'lc', balance: 'leastconn' }), frontendSpec({ name: 'lc', backend: 'lc' }));
    const held = await Promise.all([0, 1, 2, 3].map(() => client(least.port)));
    await Promise.all(held.map((socket) => roundTrip(socket, 'l')));
    expect(least.engine.stats().backends[0]?.servers.map((server) => server.current)).toEqual([2, 2]);

    least.engine.setServer('lc', 'a', { enabled: false });
    least.engine.setServer('lc', 'b', { weight: 0 });
    const refused = await client(least.port);
    await within(3000, 'no-server close', closedByPeer(refused));
    expect(least.engine.stats().results['no-server']).toBe(1);
    least.engine.setServer('lc', 'a', { enabled: true });
    const served = await client(least.port);
    await roundTrip(served, 'back');
    expect(least.engine.stats().backends[0]?.servers[0]).toMatchObject({ enabled: true, current: 3 });
  });
});
