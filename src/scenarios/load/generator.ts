/**
 * The load generators of one host, run as a child process inside that host's
 * network namespace (`ip netns exec NS node generator.js SPEC`).
 *
 * Protocol, JSON lines: the child prints {"t":"ready"}; the runner writes
 * {"t0": <epoch ms>} on stdin; the child then runs every generator on that
 * clock, printing {"t":"a","l":LOAD,"a":[[startMs,outcome,latencyMs],...]}
 * every 100 ms, and {"t":"done"} at the end. stdin closing means the runner is
 * gone or gave up: the child exits at once. Every loop is bounded in count
 * (the plan's rate x window) and time (stop + the attempt timeout).
 */
import type { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { OUTCOMES, type Outcome } from '../expression.js';
import type { HttpKeepaliveLoad, LoadPlan, TcpConnectLoad } from '../planTypes.js';
import { httpAttempt, keepAliveAgent, tcpConnectAttempt, type AttemptEnd } from './attempts.js';
import { between, deriveSeed, seededRandom } from './random.js';

export interface GeneratorSpec {
  seed: number;
  loads: LoadPlan[];
}

/** Open connections at most, per tcp_connect generator: past it an attempt counts as `other`. */
export const MAX_OPEN = 20_000;

type Row = [number, number, number];
const pending = new Map<string, Row[]>();

function record(load: string, startMs: number, end: AttemptEnd): void {
  const rows = pending.get(load) ?? [];
  rows.push([Math.round(startMs * 10) / 10, OUTCOMES.indexOf(end.outcome), Math.round(end.latencyMs * 100) / 100]);
  pending.set(load, rows);
}

function flush(): void {
  for (const [load, rows] of pending) {
    if (rows.length > 0) process.stdout.write(`${JSON.stringify({ t: 'a', l: load, a: rows })}\n`);
  }
  pending.clear();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function runTcpConnect(load: TcpConnectLoad, t0: number): Promise<void> {
  const interval = 1000 / load.ratePerSecond;
  const count = Math.ceil(((load.stopMs - load.startMs) * load.ratePerSecond) / 1000);
  const inflight = new Set<Promise<void>>();
  for (let k = 0; k < count; k++) {
    const due = load.startMs + k * interval;
    if (due >= load.stopMs) break;
    await sleep(t0 + due - Date.now());
    const startMs = Date.now() - t0;
    if (inflight.size >= MAX_OPEN) {
      record(load.name, startMs, { outcome: 'other' as Outcome, latencyMs: 0 });
      continue;
    }
    const p = tcpConnectAttempt(load.address, load.port, load.timeoutMs, load.holdMs).then((end) => {
      record(load.name, startMs, end);
      inflight.delete(p);
    });
    inflight.add(p);
  }
  await Promise.all(inflight);
}

/** Methods whose requests carry a body (the request id, as JSON). */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * One request and its retries: every try is an attempt, recorded as it ends.
 * Its id (x-request-id, and the Idempotency-Key when asked for) is the same on every try.
 */
async function httpRequest(load: HttpKeepaliveLoad, agent: Agent, id: string, t0: number): Promise<void> {
  const headers: Record<string, string> = { 'x-request-id': id };
  if (load.idempotencyKey) headers['idempotency-key'] = id;
  const options = { method: load.method, path: load.path, headers, body: WITH_BODY.has(load.method) ? JSON.stringify({ request: id }) : null };
  for (let attempt = 0; attempt <= load.retries; attempt++) {
    const startMs = Date.now() - t0;
    const end = await httpAttempt(agent, load.address, load.port, options, load.timeoutMs);
    record(load.name, startMs, end);
    if (end.outcome === 'ok') return;
  }
}

async function runHttpKeepalive(load: HttpKeepaliveLoad, seed: number, t0: number): Promise<void> {
  await sleep(t0 + load.startMs - Date.now());
  const connection = async (c: number) => {
    const random = seededRandom(deriveSeed(seed, load.name, c));
    const agent = keepAliveAgent();
    try {
      for (let k = 0; Date.now() - t0 < load.stopMs; k++) {
        await httpRequest(load, agent, `${load.name}-${c}-${k}`, t0);
        const gap = between(random, load.idleMs.min, load.idleMs.max);
        if (Date.now() - t0 + gap >= load.stopMs) break;
        await sleep(gap);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: load.connections }, (_, c) => connection(c)));
}

async function main(spec: GeneratorSpec): Promise<void> {
  process.stdin.setEncoding('utf8');
  let buffer = '';
  const t0 = await new Promise<number>((resolve) => {
    process.stdin.on('data', (d: string) => {
      buffer += d;
      const line = buffer.split('\n')[0];
      if (buffer.includes('\n') && line) resolve((JSON.parse(line) as { t0: number }).t0);
    });
    process.stdin.on('end', () => process.exit(0));
    process.stdout.write(`${JSON.stringify({ t: 'ready' })}\n`);
  });
  const flusher = setInterval(flush, 100);
  await Promise.all(spec.loads.map((load) => (load.type === 'tcp_connect' ? runTcpConnect(load, t0) : runHttpKeepalive(load, spec.seed, t0))));
  clearInterval(flusher);
  flush();
  process.stdout.write(`${JSON.stringify({ t: 'done' })}\n`, () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(JSON.parse(process.argv[2] ?? '{}') as GeneratorSpec);
}
