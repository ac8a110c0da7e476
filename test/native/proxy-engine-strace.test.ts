/**
 * The splice path moves payload without read()/write(): strace -c -f on an
 * engine in a child process during a bulk transfer counts splice calls, and
 * almost no read/write-family calls.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeEngineStats } from '../../src/native/AddonTypes.js';
import { addonCandidates, loadNative } from '../../src/native/loadNative.js';
import { backendSpec, connect, engineOptions, frontendSpec, sendPayload, serverSpec, upstream, waitFor, within, type Upstream } from './fixtures/proxy-helpers.js';

const PAYLOAD = 256 << 20;
const CHUNK = 64 << 10;
const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
const childScript = new URL('./fixtures/proxy-engine-child.mjs', import.meta.url).pathname;

/** Calls per syscall from strace -c output. */
function parseSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (fields.length < 5 || !/^\d+(\.\d+)?$/.test(fields[0] ?? '')) continue;
    const name = fields[fields.length - 1] ?? '';
    const count = Number(fields[3]);
    if (name !== 'total' && Number.isFinite(count)) calls.set(name, count);
  }
  return calls;
}

/** The next line the child prints; rejects when it exits first. */
async function nextLine(lines: AsyncIterator<string>, child: ChildProcess): Promise<string> {
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`engine child exited (${code})`))));
  const next = await Promise.race([lines.next(), exited]);
  if (next.done) throw new Error('engine child closed its stdout');
  return next.value;
}

describe.skipIf(!hasStrace)('proxy engine syscalls under strace (skipped when strace is missing)', () => {
  let sink: Upstream;
  let received = 0;
  let child: ChildProcess | undefined;
  let tracer: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'qplug-strace-'));

  beforeAll(async () => {
    loadNative(); // fail early, with the loader's message, if the addon is missing
    sink = await upstream((socket) => {
      socket.on('data', (data: Buffer) => (received += data.length));
      socket.on('end', () => socket.end());
    });
  });
  afterAll(async () => {
    if (tracer?.exitCode === null) tracer.kill('SIGKILL');
    if (child?.exitCode === null) child.kill('SIGKILL');
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splices the payload and makes next to no read/write calls', async () => {
    const addonPath = addonCandidates().find((candidate) => existsSync(candidate));
    const config = {
      options: engineOptions({ threads: 1 }),
      backend: backendSpec([serverSpec('sink', sink.port)], { splice: true }),
      frontend: frontendSpec({ splice: true }),
    };
    child = spawn(process.execPath, [childScript, addonPath ?? '', JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const { pid, port } = JSON.parse(await within(10_000, 'engine child', nextLine(lines, child))) as { pid: number; port: number };

    const summary = join(dir, 'summary.txt');
    tracer = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', summary], { stdio: ['ignore', 'ignore', 'pipe'] });
    let traceLog = '';
    tracer.stderr!.on('data', (data: Buffer) => (traceLog += data.toString()));
    await waitFor('strace to attach', () => traceLog.includes('attached'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // every thread

    const socket = await connect(port);
    socket.resume();
    await within(60_000, 'bulk transfer', sendPayload(socket, 9, PAYLOAD, true));
    await waitFor('the sink to get everything', () => received === PAYLOAD, 60_000);
    socket.destroy();

    const traced = new Promise((resolve) => tracer!.once('exit', resolve));
    tracer.kill('SIGINT'); // detaches and writes the summary
    await within(10_000, 'strace exit', traced);
    const calls = parseSummary(readFileSync(summary, 'utf8'));
    const payloadCalls = ['read', 'write', 'readv', 'writev', 'recvfrom', 'sendto', 'recvmsg', 'sendmsg'].reduce((sum, name) => sum + (calls.get(name) ?? 0), 0);
    expect(calls.get('splice') ?? 0).toBeGreaterThanOrEqual(PAYLOAD / (1 << 20)); // at least one per MiB each way
    expect(payloadCalls).toBeLessThan(Math.max(20, (PAYLOAD / CHUNK) * 0.01));

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.stdin!.end('stop\n');
    const { stats } = JSON.parse(await within(10_000, 'engine stats', nextLine(lines, child))) as { stats: NativeEngineStats };
    expect(stats.connections.total).toBe(1);
    expect(stats.frontends[0]?.bytesIn).toBe(PAYLOAD);
    expect(stats.pipes.created).toBeGreaterThan(0);
    await within(10_000, 'engine child exit', exited);
  }, 120_000);
});
