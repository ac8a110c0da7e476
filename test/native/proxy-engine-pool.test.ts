/**
 * Bounded resources: the copy path's buffer pool runs dry and recovers with
 * every byte intact, a connection waiting for a buffer still times out, and
 * splice pipes neither leak nor pile up over many connections.
 */
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendSpec,
  closedByPeer,
  connect,
  engineOptions,
  fdCount,
  frontendSpec,
  receiveAll,
  sendPayload,
  serverSpec,
  startEngine,
  upstream,
  waitFor,
  within,
  type Sent,
  type Upstream,
} from './fixtures/proxy-helpers.js';
import { integrityUpstream, transfer, verify, type IntegrityUpstream } from './fixtures/proxy-integrity.js';

const STREAM_BYTES = 24 << 20; // more than loopback socket buffers absorb
const SEED = 42;

describe('proxy engine buffer pool and pipes', () => {
  let producer: Upstream;
  let produced: Sent | undefined;
  let up: IntegrityUpstream;
  let fdsBefore = 0;

  beforeAll(async () => {
    // Sends the same seeded stream to every connection, then ends; ignores input.
    producer = await upstream((socket) => {
      socket.resume();
      void sendPayload(socket, SEED, STREAM_BYTES, true).then(
        (sent) => (produced = sent),
        () => socket.destroy(),
      );
    });
    up = await integrityUpstream();
    fdsBefore = fdCount();
  });
  afterAll(async () => {
    await waitFor('upstream sockets to close', () => producer.sockets.size + up.sockets.size === 0);
    expect(fdCount()).toBe(fdsBefore);
    await producer?.close();
    await up?.close();
  });

  it('makes connections wait when the pool is dry and completes them all intact', async () => {
    const { engine, port } = startEngine(
      engineOptions({ threads: 2, bufferSize: 16384, poolBuffers: 2 }),
      backendSpec([serverSpec('s1', producer.port)]),
    );
    const clients: net.Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const socket = await connect(port);
        socket.pause(); // a slow reader: nothing read until told
        socket.end(); // its EOF is relayed without taking a buffer
        clients.push(socket);
      }
      await waitFor('connections waiting for a buffer', () => {
        const pool = engine.stats().pool;
        return pool.waiting >= 1 && pool.inUse === 2;
      });
      expect(engine.stats().pool).toMatchObject({ buffers: 2, free: 0, peakInUse: 2 });
      expect(engine.stats().pool.waits).toBeGreaterThanOrEqual(1);

      const received = clients.map((socket) => {
        const all = receiveAll(socket);
        socket.resume();
        return all;
      });
      const results = await within(20_000, 'draining readers', Promise.all(received));
      for (const result of results) expect(result).toEqual(produced);
      const pool = engine.stats().pool;
      expect(pool.peakInUse).toBe(2); // never more than the budget
      await waitFor('buffers back in the pool', () => engine.stats().pool.inUse === 0);
      expect(engine.stats().pool).toMatchObject({ free: 2, waiting: 0 });
      expect(engine.stats().results.ok).toBe(4);
    } finally {
      for (const socket of clients) socket.destroy();
      await within(5000, 'stop', engine.stop(0));
    }
  });

  it('still times out a connection that waits for a buffer', async () => {
    const { engine, port } = startEngine(
      engineOptions({ threads: 1, bufferSize: 16384, poolBuffers: 1 }),
      backendSpec([serverSpec('s1', producer.port)]),
      frontendSpec({ clientTimeoutMs: 500 }),
    );
    const clients: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const socket = await connect(port);
        socket.pause();
        socket.on('error', () => {});
        clients.push(socket);
      }
      await waitFor('a connection waiting for the only buffer', () => engine.stats().pool.waiting === 1);
      const waitingSince = Date.now();
      // Both time out: the holder (its reader is stuck) and the one waiting for the pool.
      await waitFor('client timeouts', () => engine.stats().results['client-timeout'] === 2, 3000);
      expect(Date.now() - waitingSince).toBeGreaterThanOrEqual(300);
      await within(3000, 'clients closed', Promise.all(clients.map((socket) => closedByPeer(socket))));
      const stats = engine.stats();
      expect(stats.results['client-timeout']).toBe(2);
      expect(stats.pool).toMatchObject({ waiting: 0, inUse: 0, free: 1 });
    } finally {
      for (const socket of clients) socket.destroy();
      await within(5000, 'stop', engine.stop(0));
    }
  });

  it('returns every pipe over many spliced connections and keeps at most maxIdlePipes', async () => {
    const { engine, port } = startEngine(
      engineOptions({ threads: 2, maxIdlePipes: 4, pipeSize: 1 << 16 }),
      backendSpec([serverSpec('s1', up.port)], { splice: true }),
    );
    try {
      for (let batch = 0; batch < 6; batch++) {
        const ids = Array.from({ length: 50 }, (_, i) => 5000 + batch * 50 + i);
        const results = await within(10_000, `batch ${batch}`, Promise.all(ids.map((id) => transfer(port, id, 4096 + id, 8192 - id % 100, id % 2 ? 'simultaneous' : 'half-close'))));
        for (const result of results) {
          const { upstreamGot, upstreamSent } = await verify(up, result);
          expect(upstreamGot).toEqual(result.clientSent);
          expect(result.clientReceived).toEqual(upstreamSent);
        }
      }
      await waitFor('connections to close', () => engine.stats().connections.current === 0);
      const { pipes, connections } = engine.stats();
      expect(connections).toMatchObject({ total: 300, splice: 0 });
      expect(pipes.inUse).toBe(0);
      expect(pipes.idle).toBeLessThanOrEqual(4);
      expect(pipes.created).toBeGreaterThan(0);
      expect(pipes.created).toBeLessThan(600); // idle pipes were reused
    } finally {
      await within(5000, 'stop', engine.stop(0));
    }
    expect(engine.stats().pipes).toMatchObject({ inUse: 0, idle: 0 });
  });
});
