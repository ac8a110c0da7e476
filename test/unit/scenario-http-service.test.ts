/**
 * The built-in http service's counters and idempotency modes, and the
 * http_keepalive generator's retries and request ids, on loopback (no
 * namespaces): the built server.js and generator.js as the runner starts them.
 * Needs `npm run build:ts` first; skipped by name when dist/ is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpKeepaliveLoad } from '../../src/scenarios/planTypes.js';
import { onLines } from '../../src/scenarios/run/proc.js';
import type { BuiltinSpec } from '../../src/scenarios/services/server.js';
import type { IdempotencyMode } from '../../src/scenarios/planTypes.js';
import { OUTCOMES } from '../../src/scenarios/expression.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER = join(root, 'dist', 'scenarios', 'services', 'server.js');
const GENERATOR = join(root, 'dist', 'scenarios', 'load', 'generator.js');
const built = existsSync(SERVER) && existsSync(GENERATOR);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

interface Server {
  port: number;
  /** The latest counters line. */
  counters(): Record<string, number>;
  /** Stops it; resolves with the counters it printed last. */
  stop(): Promise<Record<string, number>>;
}

async function startServer(idempotency: IdempotencyMode, responseDelayMs = 0): Promise<Server> {
  const spec: BuiltinSpec = { kind: 'http', address: '127.0.0.1', port: 0, responseDelayMs, keepaliveTimeoutMs: 5000, responseBytes: 2, idempotency };
  const child = spawn(process.execPath, [SERVER, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let counters: Record<string, number> = {};
  const port = await new Promise<number>((resolve) => {
    onLines(child.stdout, (line) => {
      const msg = JSON.parse(line) as { t: string; port?: number; c?: Record<string, number> };
      if (msg.t === 'listening') resolve(msg.port!);
      if (msg.t === 'counters') counters = msg.c!;
    });
  });
  const closed = new Promise<void>((r) => child.stdout!.once('close', r));
  return {
    port,
    counters: () => counters,
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
      return counters;
    },
  };
}

function post(port: number, headers: Record<string, string>): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/orders', headers: { ...headers, 'content-length': 2 } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe.skipIf(!built)('the http service (skipped: run `npm run build:ts` first)', () => {
  it('counts requests, executions and duplicates (by x-request-id); without idempotency every POST executes', async () => {
    const s = await startServer('none');
    await post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'a' });
    await post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'a' });
    await post(s.port, { 'x-request-id': 'b' });
    expect(await s.stop()).toEqual({ requests: 3, executions: 3, duplicates: 1, replays: 0, peak_inflight: 1 });
  });

  it('reserve: a repeat of a key, even while the first is executing, gets the first answer', async () => {
    const s = await startServer('reserve', 200);
    const [first, second] = await Promise.all([post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'k' }), post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'k' })]);
    expect(first['x-execution']).toBe('1');
    expect(second['x-execution']).toBe('1');
    expect([first['idempotent-replayed'], second['idempotent-replayed']].sort()).toEqual(['true', undefined]);
    expect(await s.stop()).toEqual({ requests: 2, executions: 1, duplicates: 0, replays: 1, peak_inflight: 2 });
  });

  it('record: a repeat arriving while the first executes runs again; one arriving later is replayed', async () => {
    const s = await startServer('record', 200);
    await Promise.all([post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'k' }), post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'k' })]);
    const third = await post(s.port, { 'x-request-id': 'a', 'idempotency-key': 'k' });
    expect(third).toMatchObject({ 'x-execution': '1', 'idempotent-replayed': 'true' });
    expect(await s.stop()).toEqual({ requests: 3, executions: 2, duplicates: 1, replays: 1, peak_inflight: 2 });
  });
});

/** Runs one http_keepalive generator to the end; returns its attempts' outcomes in order. */
async function runGenerator(load: HttpKeepaliveLoad): Promise<string[]> {
  const child = spawn(process.execPath, [GENERATOR, JSON.stringify({ seed: 1, loads: [load] })], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const rows: [number, number, number][] = [];
  await new Promise<void>((resolve) => {
    onLines(child.stdout, (line) => {
      const msg = JSON.parse(line) as { t: string; a?: [number, number, number][] };
      if (msg.t === 'ready') child.stdin!.write(`${JSON.stringify({ t0: Date.now() })}\n`);
      if (msg.t === 'a') rows.push(...msg.a!);
      if (msg.t === 'done') resolve();
    });
  });
  return rows.sort((a, b) => a[0] - b[0]).map((r) => OUTCOMES[r[1]]!);
}

describe.skipIf(!built)('http_keepalive retries (skipped: run `npm run build:ts` first)', () => {
  const load = (port: number, idempotencyKey: boolean): HttpKeepaliveLoad => ({
    type: 'http_keepalive', name: 'orders', from: 'main', address: '127.0.0.1', port, startMs: 0, stopMs: 100, timeoutMs: 150,
    connections: 1, idleMs: { min: 10_000, max: 10_000 }, path: '/orders', method: 'POST', retries: 1, idempotencyKey,
  });

  it('a timed-out request is tried again with the same request id: without a key the server executes it twice', async () => {
    const s = await startServer('reserve', 400);
    expect(await runGenerator(load(s.port, false))).toEqual(['timeout', 'timeout']);
    await new Promise((r) => setTimeout(r, 500));
    expect(await s.stop()).toMatchObject({ requests: 2, executions: 2, duplicates: 1, replays: 0 });
  });

  it('with idempotency_key every try carries the same key: executed once, the retry replayed', async () => {
    const s = await startServer('reserve', 400);
    expect(await runGenerator(load(s.port, true))).toEqual(['timeout', 'timeout']);
    await new Promise((r) => setTimeout(r, 500));
    expect(await s.stop()).toMatchObject({ requests: 2, executions: 1, duplicates: 0, replays: 1 });
  });
});
