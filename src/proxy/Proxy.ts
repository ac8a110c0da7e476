/**
 * The proxy as a library: one native engine (accept, balance, relay on its own
 * threads) driven from a normalised ProxyConfig, plus the health checks.
 *
 *   const proxy = await Proxy.start(await loadProxyConfig('proxy.yaml'));
 *   proxy.on('health', (t) => console.log(t.message));
 *   console.log(proxy.addresses());
 *   await proxy.stop({ graceMs: 1000 });
 *
 * Operational state (admin ready/maint, weight, injected health) changes at
 * run time through setAdmin/setWeight/setHealth (the runtime API calls them);
 * serverState() exports it and ProxyStartOptions.serverState imports it into
 * the next process, so it survives reloads. The configuration never changes.
 */
import { EventEmitter } from 'node:events';
import { EnvironmentError, ProxyError, UsageError } from '../errors.js';
import type {
  NativeEngineEvent,
  NativeEngineOptions,
  NativeEngineServerStats,
  NativeEngineStats,
  NativeErrorFields,
  NativeProxyEngine,
} from '../native/AddonTypes.js';
import { loadNative } from '../native/loadNative.js';
import { formatAddress } from './address.js';
import { planServerStateImport, type ServerStateImport, type ServerStateRecord } from './serverState.js';
import { didYouMean } from '../text/didYouMean.js';
import { LIMITS, type ProxyConfig, type ProxyFrontendConfig, type ProxyServerConfig } from './configSchema.js';
import {
  ADMIN_STATES,
  HealthChecker,
  INJECTED_HEALTH,
  type AdminState,
  type CheckState,
  type HealthTransition,
  type InjectedHealth,
  type Probe,
  type ServerHealth,
} from './health.js';

export type EngineFactory = (options: NativeEngineOptions) => NativeProxyEngine;

export interface ProxyStartOptions {
  /** Builds the engine; default: the native addon's ProxyEngine. Tests pass a fake. */
  engineFactory?: EngineFactory;
  /** Emit a 'connection' event per closed connection (default true; false saves the engine that work). */
  connectionEvents?: boolean;
  /** How often the engine delivers batched connection events. */
  eventIntervalMs?: number;
  /** Replaces the TCP connect health probe (tests). */
  probe?: Probe;
  /**
   * Operational state exported by another process's serverState() (a reload).
   * Applied to servers that still exist, by backend/server name; the rest are
   * ignored and reported in one 'warning' event right after start.
   */
  serverState?: readonly ServerStateImport[];
}


export interface ProxyAddress {
  frontend: string;
  /** The address actually bound (the real port when the config said 0). */
  host: string;
  port: number;
  backend: string;
  servers: number;
  /** Frontend and backend both enable splice: the engine relays with splice(2). */
  splice: boolean;
}

export interface ServerStatsWithHealth extends NativeEngineServerStats {
  check: CheckState;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  lastCheckError: string | null;
}

export type BackendStats = Omit<NativeEngineStats['backends'][number], 'servers'> & { servers: ServerStatsWithHealth[] };
export type ProxyStats = Omit<NativeEngineStats, 'backends'> & { backends: BackendStats[] };

export interface ProxyEvents {
  /** A connection closed (engine onEvents). */
  connection: [event: NativeEngineEvent];
  /** A server went up or down. */
  health: [transition: HealthTransition];
  /** Something went wrong that did not stop the proxy (e.g. setServer threw). */
  warning: [error: Error];
}

export class Proxy extends EventEmitter<ProxyEvents> {
  readonly config: ProxyConfig;
  private readonly engine: NativeProxyEngine;
  private readonly checker: HealthChecker;
  private readonly bound: ProxyAddress[] = [];
  /** Weight in use per "backend/server". */
  private readonly weights = new Map<string, number>();
  private stopping?: Promise<ProxyStats>;

  private constructor(config: ProxyConfig, engine: NativeProxyEngine, probe: Probe | undefined) {
    super();
    this.config = config;
    this.engine = engine;
    this.checker = new HealthChecker(config.backends, {
      setEnabled: (backend, server, enabled) => engine.setServer(backend, server, { enabled }),
      onTransition: (t) => this.emit('health', t),
      onError: (error) => this.emit('warning', error instanceof Error ? error : new Error(String(error))),
      probe,
    });
    for (const b of config.backends) for (const srv of b.servers) this.weights.set(`${b.name}/${srv.name}`, srv.weight);
  }

  /** Create the engine, add backends and frontends (binding them), start it and the health checks. */
  static async start(config: ProxyConfig, options: ProxyStartOptions = {}): Promise<Proxy> {
    const factory = options.engineFactory ?? nativeEngineFactory;
    // The engine needs its callback before the Proxy that emits exists.
    const target: { proxy?: Proxy } = {};
    const onEvents = options.connectionEvents === false ? undefined : (events: NativeEngineEvent[]) => {
      for (const event of events) target.proxy?.emit('connection', event);
    };
    const g = config.global;
    const engine = factory({
      threads: g.threads,
      bufferSize: g.bufferSize,
      poolBuffers: g.poolBuffers,
      pipeSize: g.pipeSize,
      maxIdlePipes: g.maxIdlePipes,
      ...(onEvents ? { onEvents, eventIntervalMs: options.eventIntervalMs ?? 100 } : {}),
    });
    const proxy = new Proxy(config, engine, options.probe);
    target.proxy = proxy;
    let problems: string[];
    try {
      problems = proxy.setUp(options.serverState ?? []);
    } catch (error) {
      await engine.stop(0).catch(() => undefined);
      throw error;
    }
    // After start() resolves, so that a listener added right after `await` hears it.
    if (problems.length > 0) setImmediate(() => proxy.emit('warning', new ProxyError(`server state: ${problems.join('; ')}`)));
    proxy.checker.start();
    return proxy;
  }

  /** Returns the problems of the server state import. */
  private setUp(serverState: readonly ServerStateImport[]): string[] {
    const { engine, config } = this;
    for (const b of config.backends) {
      try {
        engine.addBackend({
          name: b.name,
          balance: b.balance,
          splice: b.splice,
          retries: b.retries,
          redispatch: b.redispatch,
          connectTimeoutMs: b.connectTimeoutMs,
          serverTimeoutMs: b.serverTimeoutMs,
          queueTimeoutMs: b.queueTimeoutMs,
          servers: b.servers.map((s) => ({ name: s.name, host: s.host, port: s.port, weight: s.weight, maxconn: s.maxconn })),
        });
      } catch (error) {
        throw new ProxyError(`cannot set up backend ${b.name}: ${errorText(error)}`, { cause: error });
      }
    }
    // Before any listener exists: no connection may reach a server the old process had in maintenance.
    const problems = this.importServerState(serverState);
    for (const f of config.frontends) {
      let bound: { host: string; port: number };
      try {
        bound = engine.addFrontend({
          name: f.name,
          host: f.host,
          port: f.port,
          backend: f.backend,
          backlog: f.backlog,
          maxconn: f.maxconn,
          clientTimeoutMs: f.clientTimeoutMs,
          splice: f.splice,
        });
      } catch (error) {
        throw listenError(f, error);
      }
      const backend = config.backends.find((b) => b.name === f.backend);
      this.bound.push({
        frontend: f.name,
        host: bound.host,
        port: bound.port,
        backend: f.backend,
        servers: backend?.servers.length ?? 0,
        splice: f.splice && (backend?.splice ?? false),
      });
    }
    engine.start();
    return problems;
  }

  /** One entry per frontend, with the port actually bound. */
  addresses(): ProxyAddress[] {
    return this.bound.map((a) => ({ ...a }));
  }

  /** Health state of every server (check 'none' when not checked). */
  health(): ServerHealth[] {
    return this.checker.snapshot();
  }

  /** The engine's statistics, each server with its health state. */
  stats(): ProxyStats {
    const raw = this.engine.stats();
    const health = new Map(this.checker.snapshot().map((h) => [`${h.backend}/${h.server}`, h]));
    return {
      ...raw,
      backends: raw.backends.map((b) => ({
        ...b,
        servers: b.servers.map((s) => {
          const h = health.get(`${b.name}/${s.name}`);
          return {
            ...s,
            check: h?.check ?? 'none',
            consecutiveSuccesses: h?.consecutiveSuccesses ?? 0,
            consecutiveFailures: h?.consecutiveFailures ?? 0,
            lastCheckError: h?.lastError ?? null,
          };
        }),
      })),
    };
  }

  /** Put a server in maintenance ('maint': no new connections, whatever its health) or back ('ready'). */
  setAdmin(backend: string, server: string, admin: AdminState): void {
    this.requireServer(backend, server);
    if (!ADMIN_STATES.includes(admin)) throw new UsageError(`admin state '${String(admin)}' is not one of ${ADMIN_STATES.join(', ')}`);
    this.applyInputs(backend, server, { admin });
  }

  /** Health from outside: 'up'/'down' override the checks until 'auto'. */
  setHealth(backend: string, server: string, health: InjectedHealth): void {
    this.requireServer(backend, server);
    if (!INJECTED_HEALTH.includes(health)) throw new UsageError(`health '${String(health)}' is not one of ${INJECTED_HEALTH.join(', ')}`);
    this.applyInputs(backend, server, { injected: health });
  }

  /** 0..256; 0 keeps the server enabled but out of balancing. */
  setWeight(backend: string, server: string, weight: number): void {
    this.requireServer(backend, server);
    const { min, max } = LIMITS.weight;
    if (!Number.isInteger(weight) || weight < min || weight > max) throw new UsageError(`weight ${weight} is not a whole number from ${min} to ${max}`);
    try {
      this.engine.setServer(backend, server, { weight });
    } catch (error) {
      throw new ProxyError(`cannot set the weight of ${backend}/${server}: ${errorText(error)}`, { cause: error });
    }
    this.weights.set(`${backend}/${server}`, weight);
  }

  /** Every server's operational state, in configuration order. */
  serverState(): ServerStateRecord[] {
    const current = new Map<string, number>();
    try {
      for (const b of this.engine.stats().backends) for (const srv of b.servers) current.set(`${b.name}/${srv.name}`, srv.current);
    } catch {
      // A stopped engine may not report; the state is still known.
    }
    return this.checker.operational().map((op) => {
      const key = `${op.backend}/${op.server}`;
      const config = this.requireServer(op.backend, op.server);
      return {
        backend: op.backend,
        server: op.server,
        address: formatAddress(config),
        admin: op.admin,
        weight: this.weights.get(key) ?? config.weight,
        configWeight: config.weight,
        injected: op.injected,
        check: op.check,
        effective: op.effective,
        current: current.get(key) ?? 0,
      };
    });
  }

  private applyInputs(backend: string, server: string, inputs: { admin?: AdminState; injected?: InjectedHealth }): void {
    try {
      this.checker.setInputs(backend, server, inputs);
    } catch (error) {
      throw new ProxyError(`cannot change ${backend}/${server}: ${errorText(error)}`, { cause: error });
    }
  }

  /** The server's configuration, or a ProxyError (E_PROXY) naming what exists. */
  private requireServer(backend: string, server: string): ProxyServerConfig {
    const b = this.config.backends.find((x) => x.name === backend);
    if (!b) {
      const hint = didYouMean(backend, this.config.backends.map((x) => x.name), 'backends');
      throw new ProxyError(`no backend '${backend}' (${hint})`, { details: { backend, server } });
    }
    const found = b.servers.find((x) => x.name === server);
    if (!found) {
      const hint = didYouMean(server, b.servers.map((x) => x.name), `servers of ${backend}`);
      throw new ProxyError(`no server '${server}' in backend ${backend} (${hint})`, { details: { backend, server } });
    }
    return found;
  }

  /** Apply imported records; returns what was not applied, one phrase each. */
  private importServerState(records: readonly ServerStateImport[]): string[] {
    const { changes, problems } = planServerStateImport(this.config, records);
    for (const { backend, server, admin, injected, check, weight } of changes) {
      try {
        this.checker.setInputs(backend, server, { admin, injected });
        if (check) this.checker.restoreCheck(backend, server, check);
        if (weight !== undefined) this.setWeight(backend, server, weight);
      } catch (error) {
        problems.push(`${backend}/${server}: ${errorText(error)}`);
      }
    }
    return problems;
  }

  /**
   * Stop the checks and the listeners, let connections finish for graceMs
   * (default: global.grace), abort the rest. Resolves with the final stats.
   * Idempotent: later calls return the first call's promise (its grace stands).
   */
  stop({ graceMs = this.config.global.graceMs }: { graceMs?: number } = {}): Promise<ProxyStats> {
    if (this.stopping) return this.stopping;
    this.checker.stop();
    // If the engine cannot report after stop(), the last numbers from before it.
    let before: ProxyStats | undefined;
    try {
      before = this.stats();
    } catch {
      before = undefined;
    }
    this.stopping = this.engine.stop(graceMs).then(() => {
      try {
        return this.stats();
      } catch (error) {
        if (before) return before;
        throw error;
      }
    });
    return this.stopping;
  }
}

/** The native addon's engine, or an EnvironmentError that says how to build it. */
export const nativeEngineFactory: EngineFactory = (options) => {
  const addon = loadNative();
  if (typeof addon.ProxyEngine !== 'function') {
    throw new EnvironmentError(
      'E_NATIVE_MISSING',
      'the native addon was built without the proxy engine (no ProxyEngine): rebuild it with `npm run build:native`',
    );
  }
  return new addon.ProxyEngine(options);
};

const LISTEN_REMEDIES: Record<string, [string, string]> = {
  EADDRINUSE: ['address in use', 'pick another port or stop what holds it'],
  EACCES: ['permission denied', 'ports below 1024 need root or CAP_NET_BIND_SERVICE: pick a port above 1023'],
  EADDRNOTAVAIL: ['address not available on this machine', 'bind an address of one of its interfaces, 127.0.0.1 or 0.0.0.0'],
  EAFNOSUPPORT: ['address family not supported', 'IPv6 may be disabled here: use an IPv4 address'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n)'],
};

function listenError(f: ProxyFrontendConfig, error: unknown): ProxyError {
  const code = (error as Partial<NativeErrorFields>)?.code;
  const [what, todo] = (code && LISTEN_REMEDIES[code]) ?? [errorText(error), 'check the bind address'];
  const where = `cannot listen on ${formatAddress(f)} for frontend ${f.name}`;
  return new ProxyError(`${where}: ${what}${code ? ` (${code})` : ''}: ${todo}`, {
    cause: error,
    details: { frontend: f.name, host: f.host, port: f.port, ...(code ? { errnoName: code } : {}) },
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
