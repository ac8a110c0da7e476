/**
 * No byte lost, repeated or reordered, on the splice path and the copy path:
 * seeded streams both ways at once and with half-close, 200 concurrent
 * connections, and 1 GiB each way (QPLUG_INTEGRITY_BYTES). After stop() the
 * process has exactly the fds it had before the engine existed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendSpec, engineOptions, fdCount, serverSpec, startEngine, waitFor, within } from './fixtures/proxy-helpers.js';
import { integrityUpstream, transfer, verify, type IntegrityUpstream, type Mode } from './fixtures/proxy-integrity.js';

const BIG_BYTES = Number(process.env.QPLUG_INTEGRITY_BYTES ?? 2 ** 30);

describe.each([
  { path: 'splice', splice: true },
  { path: 'copy', splice: false },
] as const)('proxy engine integrity, $path path', ({ path, splice }) => {
  let up: IntegrityUpstream;

  beforeAll(async () => {
    up = await integrityUpstream();
  });
  afterAll(async () => {
    await up?.close();
  });

  /** Runs body against a fresh engine, then checks stop() left no fd behind. */
  async function withEngine(body: (port: number) => Promise<void>, options = engineOptions()): Promise<void> {
    const before = fdCount();
    const { engine, port } = startEngine(options, backendSpec([serverSpec('s1', up.port)], { splice }));
    try {
      await body(port);
      const stats = engine.stats();
      expect(stats.connections.total).toBeGreaterThan(0);
      expect(path === 'splice' ? stats.pool.peakInUse : stats.pipes.created).toBe(0);
    } finally {
      await within(5000, 'stop', engine.stop(1000));
    }
    await waitFor('upstream sockets to close', () => up.sockets.size === 0);
    const after = engine.stats();
    expect(after.connections.current).toBe(0);
    expect(after.pipes.inUse).toBe(0);
    expect(after.pool.inUse).toBe(0);
    expect(fdCount()).toBe(before);
  }

  it.each(['simultaneous', 'half-close'] as Mode[])('relays 8 MiB each way intact (%s)', async (mode) => {
    await withEngine(async (port) => {
      const id = mode === 'simultaneous' ? 1 : 2;
      const result = await within(15_000, 'transfer', transfer(port, id, 8 << 20, 8 << 20, mode));
      const { upstreamGot, upstreamSent } = await verify(up, result);
      expect(upstreamGot).toEqual(result.clientSent);
      expect(result.clientReceived).toEqual(upstreamSent);
      expect(result.clientReceived.bytes).toBe(8 << 20);
    });
  });

  it('relays 200 concurrent connections intact', async () => {
    await withEngine(async (port) => {
      const ids = Array.from({ length: 200 }, (_, i) => 1000 + i);
      const results = await within(
        15_000,
        '200 transfers',
        Promise.all(ids.map((id) => transfer(port, id, 32768 + id * 97, 65536 - id * 13, id % 2 ? 'simultaneous' : 'half-close'))),
      );
      for (const result of results) {
        const { upstreamGot, upstreamSent } = await verify(up, result);
        expect(upstreamGot).toEqual(result.clientSent);
        expect(result.clientReceived).toEqual(upstreamSent);
      }
    });
  });

  it(
    `relays ${BIG_BYTES} bytes each way intact (QPLUG_INTEGRITY_BYTES)`,
    async () => {
      await withEngine(async (port) => {
        const result = await within(90_000, 'bulk transfer', transfer(port, 7, BIG_BYTES, BIG_BYTES, 'simultaneous'));
        const { upstreamGot, upstreamSent } = await verify(up, result);
        expect(upstreamGot).toEqual(result.clientSent);
        expect(result.clientReceived).toEqual(upstreamSent);
        expect(result.clientReceived.bytes).toBe(BIG_BYTES);
      }, engineOptions({ threads: 1, pipeSize: 1 << 20 }));
    },
    120_000,
  );
});
