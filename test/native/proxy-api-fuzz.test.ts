/**
 * 10 000 seeded random lines at the runtime API of a real Proxy: words from
 * the command table mixed with garbage, binary bytes and very long lines,
 * over one connection and over many at once. Every line gets exactly one
 * reply (an error is exactly one line), and afterwards `show info` still
 * answers and the proxy still relays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { join } from 'node:path';
import { API_COMMANDS } from '../../src/proxy/api/commands.js';
import { apiRequest } from '../../src/proxy/api/client.js';
import { ReplySplitter } from '../../src/proxy/api/lines.js';
import { ApiServer } from '../../src/proxy/api/server.js';
import { proxyTarget } from '../../src/proxy/api/target.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { Proxy, nativeEngineFactory } from '../../src/proxy/Proxy.js';
import { Cleanup, answers, namedServer, socketDir } from './proxy-api-fixtures.js';
import { seededRandom } from '../../src/scenarios/load/random.js';

const SEED = 0x5eed2026;
const LINES = 10_000;
const dir = socketDir('qplug-api-fuzz-');
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const random = seededRandom;

const WORDS = [
  ...new Set(API_COMMANDS.flatMap((row) => row.usage.split(' '))),
  ...['main/s1', 'main/s2', 'main/s3', 'nope/s1', 'main/', '/s1', 'main/s1/x', '0', '1', '256', '257', '-1', '1e3', 'up', 'down', 'auto'],
  ...['health', 'weight', 'restart', 'reuseport', 'handoff', '--json', '--JSON', 'json', 'SHOW', 'Stat', '\t', '\r', 'é', '\u0000', '%s%n', '${x}'],
];

/** One line's bytes, without the newline (binary parts never contain one). */
function line(next: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const r = next();
  if (r < 0.45) {
    const words = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(WORDS));
    return Buffer.from(words.join(pick([' ', ' ', '  ', '\t'])));
  }
  if (r < 0.6) {
    const row = pick(API_COMMANDS);
    const args = row.usage.split(' ').slice(row.words.length).map(() => pick(['main/s1', 'main/s2', '7', 'health', 'auto', 'up']));
    return Buffer.from([...row.words, ...args, ...(next() < 0.3 ? ['--json'] : [])].join(' '));
  }
  if (r < 0.8) {
    const bytes = Buffer.alloc(Math.floor(next() * 300));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    return Buffer.from(bytes.map((b) => (b === 0x0a ? 0x20 : b)));
  }
  if (r < 0.9) return Buffer.from(Array.from({ length: Math.floor(next() * 200) }, () => String.fromCharCode(32 + Math.floor(next() * 95))).join(''));
  if (r < 0.95) return Buffer.alloc(3000 + Math.floor(next() * 20_000), pick(['x', 'show ', '\u00ff', ' ']));
  return Buffer.from(pick(['', ' ', '\r', '\t\t', 'show info\r\r', '\u2028', 'help --json --json']));
}

function lines(seed: number, n: number): Buffer[] {
  const next = random(seed);
  return Array.from({ length: n }, () => line(next));
}

/** Send the lines (pipelined) on one connection; resolves with the replies, checked for shape. */
function fire(path: string, batch: Buffer[], timeoutMs = 120_000): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const splitter = new ReplySplitter();
    const replies: string[][] = [];
    const socket = cleanup.track(connect(path));
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`${replies.length}/${batch.length} replies within ${timeoutMs}ms`))), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      for (const bytes of batch) socket.write(Buffer.concat([bytes, Buffer.from('\n')]));
    });
    socket.on('data', (text: string) => {
      replies.push(...splitter.push(text));
      if (replies.length >= batch.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (replies.length < batch.length) reject(new Error(`the API closed after ${replies.length}/${batch.length} replies`));
    });
  });
}

function checkShapes(replies: string[][]): { errors: number; ok: number } {
  let errors = 0;
  for (const reply of replies) {
    expect(reply.length).toBeGreaterThan(0);
    if (reply.some((l) => l.startsWith('error: '))) {
      expect(reply).toHaveLength(1);
      expect(reply[0]).toMatch(/^error: [\x20-\x7e]*$/);
      errors++;
    }
  }
  return { errors, ok: replies.length - errors };
}

describe(`10k random lines at the runtime API (seed ${SEED.toString(16)})`, () => {
  it('over one connection and over 20 at once: one reply per line, and the proxy still answers and relays', async () => {
    const ports = [await namedServer(cleanup, 'A'), await namedServer(cleanup, 'B')];
    const config = proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ports.map((p) => `127.0.0.1:${p}`), api: join(dir, 'fuzz.sock') });
    const proxy = await Proxy.start(config, { engineFactory: nativeEngineFactory, connectionEvents: false });
    cleanup.add(() => proxy.stop({ graceMs: 0 }));
    const api = await ApiServer.start({ path: config.global.api!, target: proxyTarget(proxy) });
    cleanup.add(() => api.close());

    const one = lines(SEED, LINES);
    const single = checkShapes(await fire(api.path, one));
    expect(single.errors).toBeGreaterThan(LINES / 2);
    expect(single.ok).toBeGreaterThan(100);

    const many = lines(SEED + 1, LINES);
    const perConnection = LINES / 20;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fire(api.path, many.slice(i * perConnection, (i + 1) * perConnection))));
    expect(results.reduce((n, r) => n + r.length, 0)).toBe(LINES);
    for (const r of results) checkShapes(r);

    expect((await apiRequest(api.path, 'show info')).lines[0]).toBe(`pid: ${process.pid}`);
    // The fuzz may have disabled servers: put them back, as an operator would.
    for (const s of ['main/s1', 'main/s2']) {
      for (const command of [`enable server ${s}`, `set server ${s} health auto`, `set weight ${s} 1`]) expect((await apiRequest(api.path, command)).ok).toBe(true);
    }
    // Every connection reaches a server (which one depends on the weights the fuzz left in the balancer's memory).
    const counts = await answers(proxy.addresses()[0]!.port, 10);
    expect((counts.A ?? 0) + (counts.B ?? 0)).toBe(10);
    expect(proxy.stats().frontends[0]!.listening).toBe(true);
    expect(api.clientCount).toBeLessThanOrEqual(1);
  });
});
