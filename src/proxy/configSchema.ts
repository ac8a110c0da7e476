/**
 * The normalised proxy configuration (durations in ms, sizes in bytes, every
 * default filled, frozen) and the one function that builds it from a draft.
 * Both the YAML file (config.ts) and the one-line form (configFromOptions.ts)
 * produce a draft and go through completeConfig(), so they cannot drift apart.
 */

export type BalanceAlgorithm = 'roundrobin' | 'leastconn';

/** Names of frontends, backends and servers (the runtime API parses backend/server with it too). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const NAME_RULE = 'use letters, digits, _ . - and start with a letter or digit';
export const BALANCE_ALGORITHMS: readonly BalanceAlgorithm[] = ['roundrobin', 'leastconn'];

/** How `qplug proxy reload` replaces the worker process (docs/proxy.md, "Reloads"). */
export type ReloadStrategy = 'restart' | 'reuseport' | 'handoff';
export const RELOAD_STRATEGIES: readonly ReloadStrategy[] = ['restart', 'reuseport', 'handoff'];

export interface ProxyGlobalConfig {
  /** Engine worker threads. */
  readonly threads: number;
  /** Copy-path buffer size, bytes. */
  readonly bufferSize: number;
  /** Copy-path memory budget, bytes. */
  readonly bufferPool: number;
  /** floor(bufferPool / bufferSize): what the engine is given. */
  readonly poolBuffers: number;
  /** Splice pipe size, bytes; 0 = kernel default (64 KiB). Default 1 MiB: ~16x fewer splice calls per GB. */
  readonly pipeSize: number;
  readonly maxIdlePipes: number;
  /** On stop, how long established connections may finish. */
  readonly graceMs: number;
  /** How a reload replaces the worker; the reload command may name another. */
  readonly reloadStrategy: ReloadStrategy;
  /** Unix socket of the runtime API (created 0600); absent: no API. */
  readonly api?: string;
}

export interface HealthCheckConfig {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive successes that bring a down server up. */
  readonly rise: number;
  /** Consecutive failures that take an up server down. */
  readonly fall: number;
}

export interface ProxyServerConfig {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** 0 = unlimited. */
  readonly maxconn: number;
  /** True when the backend has checks and the server did not opt out. */
  readonly check: boolean;
}

export interface ProxyBackendConfig {
  readonly name: string;
  readonly balance: BalanceAlgorithm;
  readonly splice: boolean;
  readonly retries: number;
  readonly redispatch: boolean;
  readonly connectTimeoutMs: number;
  /** 0 = none. */
  readonly serverTimeoutMs: number;
  /** 0 = the connect timeout. */
  readonly queueTimeoutMs: number;
  /** null: no health checks. */
  readonly check: HealthCheckConfig | null;
  readonly servers: readonly ProxyServerConfig[];
}

export interface ProxyFrontendConfig {
  readonly name: string;
  readonly host: string;
  /** 0 = ephemeral; see Proxy.addresses(). */
  readonly port: number;
  readonly backend: string;
  /** 0 = unlimited. */
  readonly maxconn: number;
  readonly backlog: number;
  readonly splice: boolean;
  /** 0 = none. */
  readonly clientTimeoutMs: number;
}

export interface ProxyConfig {
  /** The file it came from, or "<command line>". */
  readonly source: string;
  readonly global: ProxyGlobalConfig;
  readonly frontends: readonly ProxyFrontendConfig[];
  readonly backends: readonly ProxyBackendConfig[];
}

/** Built-in defaults; the `defaults:` section of a file overrides them. Documented in docs/proxy.md. */
export const BUILTIN_DEFAULTS = {
  global: { threads: 1, bufferSize: 64 * 1024, bufferPool: 64 * 1024 * 1024, pipeSize: 1024 * 1024, maxIdlePipes: 1024, graceMs: 5000, reloadStrategy: 'handoff' as ReloadStrategy },
  timeouts: { connectMs: 5000, clientMs: 30_000, serverMs: 30_000, queueMs: 5000 },
  splice: false,
  maxconn: 10_000,
  backlog: 1024,
  balance: 'roundrobin' as BalanceAlgorithm,
  retries: 3,
  redispatch: false,
  check: { intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 },
  server: { weight: 1, maxconn: 0 },
} as const;

/** Limits shared by the file and the flags, so both say the same thing. */
export const LIMITS = {
  threads: { min: 1, max: 256 },
  bufferSize: { min: 1024, max: 16 * 1024 * 1024 },
  weight: { min: 0, max: 256 },
  backlog: { min: 1, max: 65_535 },
  retries: { min: 0, max: 100 },
  riseFall: { min: 1, max: 1000 },
  maxconn: { min: 0, max: 10_000_000 },
} as const;

/** Linux sun_path holds 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** What is wrong with a runtime API socket path, or undefined. */
export function apiPathProblem(path: string): string | undefined {
  if (path === '' || path.includes('\0')) return 'the runtime API socket path must be a non-empty path without NUL bytes';
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) return `the runtime API socket path is ${bytes} bytes; unix sockets allow ${MAX_SOCKET_PATH_BYTES} (use a shorter path)`;
  return undefined;
}

/** The pool must hold at least one buffer; returns what is wrong, or undefined. */
export function poolProblem(bufferSize: number, bufferPool: number): string | undefined {
  if (bufferPool >= bufferSize) return undefined;
  return `the buffer pool (${bufferPool} bytes) is smaller than one buffer (${bufferSize} bytes): raise buffer_pool or lower buffer_size`;
}

export interface TimeoutsDraft {
  connectMs?: number;
  clientMs?: number;
  serverMs?: number;
  queueMs?: number;
}

/** Values the `defaults:` section may set, inherited by every frontend/backend. */
export interface DefaultsDraft {
  timeouts?: TimeoutsDraft;
  splice?: boolean;
  maxconn?: number;
  backlog?: number;
  balance?: BalanceAlgorithm;
  retries?: number;
  redispatch?: boolean;
}

export interface ServerDraft {
  name: string;
  host: string;
  port: number;
  weight?: number;
  maxconn?: number;
  check?: boolean;
}

export interface BackendDraft {
  name: string;
  balance?: BalanceAlgorithm;
  splice?: boolean;
  retries?: number;
  redispatch?: boolean;
  timeouts?: TimeoutsDraft;
  /** undefined/false: no checks; true: default check settings. */
  check?: Partial<HealthCheckConfig> | boolean;
  servers: ServerDraft[];
}

export interface FrontendDraft {
  name: string;
  host: string;
  port: number;
  backend: string;
  maxconn?: number;
  backlog?: number;
  splice?: boolean;
  timeouts?: TimeoutsDraft;
}

/** Already validated: every value present has the right type and range. */
export interface ProxyConfigDraft {
  global?: Partial<Omit<ProxyGlobalConfig, 'poolBuffers'>>;
  defaults?: DefaultsDraft;
  frontends: FrontendDraft[];
  backends: BackendDraft[];
}

function completeCheck(check: BackendDraft['check']): HealthCheckConfig | null {
  if (check === undefined || check === false) return null;
  return { ...BUILTIN_DEFAULTS.check, ...(check === true ? {} : check) };
}

/** Fill every default (file defaults first, then built-in ones) and freeze. */
export function completeConfig(draft: ProxyConfigDraft, source: string): ProxyConfig {
  const d = draft.defaults ?? {};
  const timeouts = { ...BUILTIN_DEFAULTS.timeouts, ...d.timeouts };
  const g = { ...BUILTIN_DEFAULTS.global, ...draft.global };
  const config: ProxyConfig = {
    source,
    global: { ...g, poolBuffers: Math.floor(g.bufferPool / g.bufferSize) },
    frontends: draft.frontends.map((f) => ({
      name: f.name,
      host: f.host,
      port: f.port,
      backend: f.backend,
      maxconn: f.maxconn ?? d.maxconn ?? BUILTIN_DEFAULTS.maxconn,
      backlog: f.backlog ?? d.backlog ?? BUILTIN_DEFAULTS.backlog,
      splice: f.splice ?? d.splice ?? BUILTIN_DEFAULTS.splice,
      clientTimeoutMs: f.timeouts?.clientMs ?? timeouts.clientMs,
    })),
    backends: draft.backends.map((b) => {
      const check = completeCheck(b.check);
      return {
        name: b.name,
        balance: b.balance ?? d.balance ?? BUILTIN_DEFAULTS.balance,
        splice: b.splice ?? d.splice ?? BUILTIN_DEFAULTS.splice,
        retries: b.retries ?? d.retries ?? BUILTIN_DEFAULTS.retries,
        redispatch: b.redispatch ?? d.redispatch ?? BUILTIN_DEFAULTS.redispatch,
        connectTimeoutMs: b.timeouts?.connectMs ?? timeouts.connectMs,
        serverTimeoutMs: b.timeouts?.serverMs ?? timeouts.serverMs,
        queueTimeoutMs: b.timeouts?.queueMs ?? timeouts.queueMs,
        check,
        servers: b.servers.map((s) => ({
          name: s.name,
          host: s.host,
          port: s.port,
          weight: s.weight ?? BUILTIN_DEFAULTS.server.weight,
          maxconn: s.maxconn ?? BUILTIN_DEFAULTS.server.maxconn,
          check: check !== null && s.check !== false,
        })),
      };
    }),
  };
  return deepFreeze(config);
}

/** The object without its undefined properties (drafts leave unset keys out). */
export function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
