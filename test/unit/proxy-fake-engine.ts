/**
 * A fake NativeProxyEngine: the contract's bookkeeping without sockets or
 * threads. It records every call, binds nothing (port 0 becomes 40000 + n)
 * and lets a test inject connection events or a bind failure.
 */
import type {
  NativeEngineBackendSpec,
  NativeEngineEvent,
  NativeEngineFrontendSpec,
  NativeEngineOptions,
  NativeEngineServerStats,
  NativeEngineStats,
  NativeProxyEngine,
} from '../../src/native/AddonTypes.js';

function errnoError(code: string, call: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: 0, call });
}

export class FakeProxyEngine implements NativeProxyEngine {
  readonly backends = new Map<string, { spec: NativeEngineBackendSpec; servers: NativeEngineServerStats[] }>();
  readonly frontends: Array<NativeEngineFrontendSpec & { boundPort: number; listening: boolean }> = [];
  readonly setServerCalls: Array<{ backend: string; server: string; change: { enabled?: boolean; weight?: number } }> = [];
  readonly stopCalls: number[] = [];
  started = false;
  stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    readonly options: NativeEngineOptions,
    private readonly failBind: Record<string, string> = {},
  ) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new TypeError('threads must be >= 1');
  }

  addBackend(spec: NativeEngineBackendSpec): void {
    if (this.started) throw errnoError('EINVAL', 'addBackend', 'addBackend after start()');
    if (typeof spec.name !== 'string' || !Array.isArray(spec.servers)) throw new TypeError('bad backend spec');
    if (this.backends.has(spec.name)) throw errnoError('EINVAL', 'addBackend', `duplicate backend ${spec.name}`);
    const servers = spec.servers.map((s) => ({ ...s, enabled: true, current: 0, peak: 0, total: 0, bytesIn: 0, bytesOut: 0, connectErrors: 0 }));
    this.backends.set(spec.name, { spec, servers });
  }

  addFrontend(spec: NativeEngineFrontendSpec): { fd: number; host: string; port: number } {
    if (this.stopped) throw errnoError('EINVAL', 'addFrontend', 'engine stopped');
    if (!this.backends.has(spec.backend)) throw errnoError('ENOENT', 'addFrontend', `no backend ${spec.backend}`);
    const failure = this.failBind[spec.name];
    if (failure) throw errnoError(failure, 'bind', `bind: ${failure}`);
    const boundPort = spec.port || 40000 + this.frontends.length;
    this.frontends.push({ ...spec, boundPort, listening: true });
    return { fd: 100 + this.frontends.length, host: spec.host, port: boundPort };
  }

  start(): void {
    this.started = true;
  }

  setServer(backend: string, server: string, change: { enabled?: boolean; weight?: number }): void {
    const s = this.backends.get(backend)?.servers.find((x) => x.name === server);
    if (!s) throw errnoError('ENOENT', 'setServer', `no server ${backend}/${server}`);
    this.setServerCalls.push({ backend, server, change });
    if (change.enabled !== undefined) s.enabled = change.enabled;
    if (change.weight !== undefined) s.weight = change.weight;
  }

  /** Deliver events the way the engine does (batched, on the JS thread). */
  deliver(events: NativeEngineEvent[]): void {
    this.options.onEvents?.(events);
  }

  stats(): NativeEngineStats {
    return {
      uptimeMs: Date.now() - this.startedAt,
      threads: this.options.threads,
      connections: { current: 0, splice: 0, copy: 0, total: 3 },
      frontends: this.frontends.map((f) => ({ name: f.name, host: f.host, port: f.boundPort, listening: f.listening, current: 0, peak: 1, total: 3, bytesIn: 100, bytesOut: 200 })),
      backends: [...this.backends.values()].map(({ spec, servers }) => ({
        name: spec.name,
        current: 0,
        total: 3,
        bytesIn: 100,
        bytesOut: 200,
        connectErrors: 0,
        retries: 0,
        redispatches: 0,
        queue: { current: 0, peak: 0, total: 0, timeouts: 0 },
        servers: servers.map((s) => ({ ...s })),
      })),
      pool: { bufferSize: this.options.bufferSize, buffers: this.options.poolBuffers, free: this.options.poolBuffers, inUse: 0, peakInUse: 0, waiting: 0, waits: 0 },
      pipes: { inUse: 0, idle: 0, created: 0 },
      results: { ok: 2, 'connect-failed': 1 },
    };
  }

  pauseListeners(): void {
    for (const f of this.frontends) f.listening = false;
  }

  resumeListeners(): void {
    for (const f of this.frontends) f.listening = true;
  }

  closeListeners(): void {
    for (const f of this.frontends) f.listening = false;
  }

  listenerFds(): Array<{ frontend: string; fd: number }> {
    return this.frontends.map((f, i) => ({ frontend: f.name, fd: 101 + i }));
  }

  async stop(graceMs: number): Promise<void> {
    this.stopCalls.push(graceMs);
    this.stopped = true;
    this.closeListeners();
  }
}

/** A factory that remembers the engines it made. */
export function fakeEngines(failBind: Record<string, string> = {}) {
  const made: FakeProxyEngine[] = [];
  return {
    made,
    factory: (options: NativeEngineOptions) => {
      const engine = new FakeProxyEngine(options, failBind);
      made.push(engine);
      return engine;
    },
  };
}
