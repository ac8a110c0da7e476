/**
 * A proxy worker: the process the master forks (child_process.fork, IPC
 * channel) to run one engine. It does what the master calls (protocol.ts) and
 * nothing on its own: signals are the master's business (a Ctrl-C reaches the
 * whole process group, and the master decides), and when the master goes
 * away the worker stops at once.
 */
import { closeSync } from 'node:fs';
import type { NativeEngineFrontendSpec, NativeProxyEngine } from '../../native/AddonTypes.js';
import { loadNative } from '../../native/loadNative.js';
import { ProxyError } from '../../errors.js';
import { proxyInfo } from '../api/target.js';
import { Proxy, nativeEngineFactory, type EngineFactory } from '../Proxy.js';
import { PROXY_METHODS, serializeError, type CallMethod, type FromWorker, type StartRequest, type StartResult, type ToWorker } from './protocol.js';

/** How long a new worker waits for the old one's sockets. */
const HANDOFF_TIMEOUT_MS = 10_000;

let proxy: Proxy | undefined;
let engine: NativeProxyEngine | undefined;
let draining: Promise<unknown> | undefined;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

/**
 * The native factory, with each frontend bound for a multi-process proxy:
 * SO_REUSEPORT always (so a reuseport reload can bind beside it, whatever the
 * first strategy was), the previous worker's port for port 0, or a received
 * socket adopted instead of binding.
 */
function workerEngineFactory(ports: Record<string, number>, adopted: Map<string, number>): EngineFactory {
  return (options) => {
    const real = nativeEngineFactory(options);
    engine = real;
    const rewrite = (spec: NativeEngineFrontendSpec): NativeEngineFrontendSpec => {
      const fd = adopted.get(spec.name);
      if (fd !== undefined) return { ...spec, fd };
      return { ...spec, port: spec.port === 0 ? (ports[spec.name] ?? 0) : spec.port, reusePort: true };
    };
    return {
      addBackend: (spec) => real.addBackend(spec),
      addFrontend: (spec) => real.addFrontend(rewrite(spec)),
      start: () => real.start(),
      setServer: (backend, server, change) => real.setServer(backend, server, change),
      stats: () => real.stats(),
      pauseListeners: () => real.pauseListeners(),
      resumeListeners: () => real.resumeListeners(),
      closeListeners: () => real.closeListeners(),
      listenerFds: () => real.listenerFds(),
      stop: (graceMs) => real.stop(graceMs),
    };
  };
}

async function start(request: StartRequest): Promise<StartResult> {
  if (proxy) throw new ProxyError('this worker runs a proxy already');
  const adopted = new Map<string, number>();
  const received: number[] = [];
  try {
    if (request.handoffPath) {
      const pending = loadNative().receiveFds(request.handoffPath, HANDOFF_TIMEOUT_MS);
      await send({ type: 'receiving' }); // bound: the old worker may send now
      const { fds, payload } = await pending;
      received.push(...fds);
      const names = JSON.parse(payload) as string[];
      const wanted = new Set(request.adopt ?? []);
      names.forEach((name, i) => {
        const fd = fds[i];
        if (fd !== undefined && wanted.has(name)) adopted.set(name, fd);
      });
    }
    proxy = await Proxy.start(request.config, {
      engineFactory: workerEngineFactory(request.ports, adopted),
      connectionEvents: request.connectionEvents,
      ...(request.serverState ? { serverState: request.serverState } : {}),
    });
  } finally {
    // The engine dup'ed what it adopted; ours (and unwanted ones) go.
    for (const fd of received) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
  proxy.on('health', (transition) => void send({ type: 'health', transition }));
  proxy.on('warning', (error) => void send({ type: 'warning', message: error.message }));
  if (request.connectionEvents) proxy.on('connection', (event) => void send({ type: 'connection', event }));
  return { addresses: proxy.addresses() };
}

function running(): { proxy: Proxy; engine: NativeProxyEngine } {
  if (!proxy || !engine) throw new ProxyError('this worker runs no proxy yet');
  return { proxy, engine };
}

async function sendListeners(path: string): Promise<void> {
  const { engine: e } = running();
  const listeners = e.listenerFds();
  await loadNative().sendFds(path, listeners.map((l) => l.fd), JSON.stringify(listeners.map((l) => l.frontend)), HANDOFF_TIMEOUT_MS);
}

function drain(graceMs: number, pause: boolean): Promise<unknown> {
  const { proxy: p, engine: e } = running();
  // Paused, the sockets stay open until stop(): the new worker accepts from the same queues.
  if (pause) e.pauseListeners();
  draining ??= p.stop({ graceMs });
  return draining;
}

async function call(method: CallMethod, args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'start':
      return start(args[0] as StartRequest);
    case 'sendListeners':
      return sendListeners(String(args[0]));
    case 'info':
      return proxyInfo(running().proxy);
    case 'closeListeners':
      running().engine.closeListeners();
      return undefined;
    case 'drain':
      return drain(Number(args[0]), args[1] === true);
    default: {
      if (!(PROXY_METHODS as readonly string[]).includes(method)) throw new ProxyError(`unknown worker call '${String(method)}'`);
      const target = running().proxy as unknown as Record<string, (...a: unknown[]) => unknown>;
      return target[method]!.apply(running().proxy, args);
    }
  }
}

process.on('message', (message: unknown) => {
  const raw = message as ToWorker | null;
  if (raw?.type !== 'call') return;
  void (async () => {
    try {
      const value = await call(raw.method, raw.args);
      await send({ type: 'result', id: raw.id, value });
      if (raw.method === 'drain') process.exit(0);
    } catch (error) {
      await send({ type: 'result', id: raw.id, error: serializeError(error) });
      if (raw.method === 'start') process.exit(1);
    }
  })();
});

// The master handles signals; a worker must not die of a Ctrl-C meant for it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2'] as const) process.on(signal, () => undefined);

// Master gone (killed, crashed): nobody can drain us properly; close now.
process.on('disconnect', () => {
  const stopping = proxy ? proxy.stop({ graceMs: 0 }) : Promise.resolve();
  void stopping.finally(() => process.exit(1));
  setTimeout(() => process.exit(1), 2000).unref();
});

if (!process.send) {
  process.stderr.write('qplug: the proxy worker runs under `qplug proxy` (child_process.fork), not on its own\n');
  process.exit(2);
}
// Load the addon now, so that 'start' (between the old worker closing and the new one binding, on restart) is short.
try {
  loadNative();
} catch {
  // 'start' reports it, with the remedy.
}
void send({ type: 'loaded' });
