/**
 * The built-in services, run as a child process inside a host's namespace:
 * `node server.js '{"kind":"echo"|"http",...}'`. Prints one JSON line
 * {"t":"listening","port":N} once it accepts connections. Exits when stdin
 * closes (the runner is gone), on SIGTERM/SIGINT; SIGHUP/SIGUSR1/SIGUSR2 are
 * logged as reloads instead of killing it.
 *
 * The http service also counts what it does (expression.ts,
 * HTTP_SERVICE_COUNTERS) and prints {"t":"counters","c":{...}} lines: soon
 * after each change (at most every COUNTERS_EVERY_MS) and once more before
 * it exits.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ServiceCounter } from '../expression.js';
import type { IdempotencyMode } from '../planTypes.js';

/**
 * How the http service treats an `Idempotency-Key` header on a non-idempotent request:
 * none     ignores it: every request executes
 * reserve  the key is taken when the request arrives: a repeat waits for the first's answer and gets it
 * record   the key is stored when the answer is ready: a repeat arriving meanwhile executes again
 */

export type BuiltinSpec =
  | { kind: 'echo'; address: string; port: number }
  | { kind: 'http'; address: string; port: number; responseDelayMs: number; keepaliveTimeoutMs: number; responseBytes: number; idempotency: IdempotencyMode };

/** Counter lines are coalesced: at most one per this many ms while requests come in. */
const COUNTERS_EVERY_MS = 50;
/** Requests that change state: each one that runs is an execution. */
const NON_IDEMPOTENT = new Set(['POST', 'PATCH']);
/** Stored answers and executed request ids kept at most (bounded memory under long loads). */
const MAX_KEYS = 100_000;

function echoServer(): Server {
  return createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
}

type Counters = Record<ServiceCounter, number>;

/** Prints the counters soon after they change, never more often than COUNTERS_EVERY_MS. */
class CounterReport {
  readonly c: Counters = { requests: 0, executions: 0, duplicates: 0, replays: 0, peak_inflight: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private dirty = false;

  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastMs + COUNTERS_EVERY_MS - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastMs = Date.now();
    process.stdout.write(`${JSON.stringify({ t: 'counters', c: this.c })}\n`);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A bounded set/map: the oldest entries go first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value as K);
}

function httpServer(spec: Extract<BuiltinSpec, { kind: 'http' }>, report: CounterReport): Server {
  const body = Buffer.alloc(spec.responseBytes, 0x2e);
  const counters = report.c;
  /** Request ids (x-request-id) already executed: a second execution is a duplicate. */
  const executed = new Map<string, true>();
  /** Idempotency keys: the answer once ready (its execution number), or the wait for it. */
  const answers = new Map<string, Promise<number>>();
  let inflight = 0;

  const execute = (req: IncomingMessage): Promise<number> => {
    counters.executions++;
    const id = header(req, 'x-request-id');
    if (id !== undefined) {
      if (executed.has(id)) counters.duplicates++;
      else remember(executed, id, true);
    }
    const execution = counters.executions;
    return new Promise((resolve) => setTimeout(() => resolve(execution), spec.responseDelayMs));
  };

  const server = createHttpServer((req, res) => {
    counters.requests++;
    inflight++;
    counters.peak_inflight = Math.max(counters.peak_inflight, inflight);
    report.changed();
    // Answered, or the connection went away first: no longer in progress.
    res.on('close', () => {
      inflight--;
    });
    // Acted on as soon as it arrives: a client that closes its end right after
    // sending (a timed-out try) has still had its request executed.
    req.resume();
    const key = spec.idempotency === 'none' ? undefined : header(req, 'idempotency-key');
    let answer: Promise<number>;
    let replayed = false;
    if (!NON_IDEMPOTENT.has(req.method ?? '')) answer = new Promise((resolve) => setTimeout(() => resolve(0), spec.responseDelayMs));
    else if (key !== undefined && answers.has(key)) {
      // A repeat: the stored answer (with reserve, possibly once the first is done).
      answer = answers.get(key)!;
      replayed = true;
      counters.replays++;
      report.changed();
    } else {
      answer = execute(req);
      report.changed();
      if (key !== undefined) {
        if (spec.idempotency === 'reserve') remember(answers, key, answer);
        else void answer.then((n) => { if (!answers.has(key)) remember(answers, key, Promise.resolve(n)); });
      }
    }
    void answer.then((execution) => {
      // The client gave up and its connection is gone: nobody to answer.
      if (res.destroyed) return;
      const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': body.length };
      if (execution > 0) headers['x-execution'] = execution;
      if (replayed) headers['idempotent-replayed'] = 'true';
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = spec.keepaliveTimeoutMs;
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

function main(spec: BuiltinSpec): void {
  const report = new CounterReport();
  const server = spec.kind === 'echo' ? echoServer() : httpServer(spec, report);
  const exit = () => {
    report.flush();
    process.exit(0);
  };
  server.on('error', (e) => {
    process.stderr.write(`${spec.kind}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(spec.port, spec.address, () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ t: 'listening', port: typeof address === 'object' && address ? address.port : spec.port })}\n`);
  });
  process.stdin.on('end', exit);
  process.stdin.resume();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, exit);
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => process.stdout.write(`${JSON.stringify({ t: 'reload', signal })}\n`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(JSON.parse(process.argv[2] ?? '{}') as BuiltinSpec);
