/**
 * The seam between the runtime API and whatever serves it: the Proxy in this
 * process (proxyTarget below), or a master process that forwards to its
 * worker and can reload it. The API server only ever sees an ApiTarget.
 */
import { readFileSync } from 'node:fs';
import type { Proxy, ProxyStats } from '../Proxy.js';
import type { AdminState, InjectedHealth } from '../health.js';
import type { ServerStateRecord } from '../serverState.js';
import { RELOAD_STRATEGIES, type ReloadStrategy } from '../configSchema.js';

export type { ProxyStats, ServerStateRecord };
export type { AdminState, InjectedHealth, ReloadStrategy };
export { RELOAD_STRATEGIES };

export interface ReloadResult {
  strategy: ReloadStrategy;
  oldPid: number;
  newPid: number;
  /** From the request until the new process served. */
  ms: number;
}

export interface ProxyInfo {
  /** The process that serves the proxy (the worker under a master). */
  pid: number;
  /** qplug's version. */
  version: string;
  uptimeMs: number;
  /** The config file, or "<command line>". */
  config: string;
  /** Reload strategy, when something can reload. */
  strategy?: ReloadStrategy;
  /** Set when a master process serves the API. */
  master?: { pid: number; reloads: number };
  frontends: Array<{ name: string; host: string; port: number; backend: string; listening: boolean }>;
  backends: number;
  servers: { total: number; up: number; down: number; maint: number };
  connections: { current: number; total: number };
}

export interface ApiTarget {
  info(): Promise<ProxyInfo>;
  stats(): Promise<ProxyStats>;
  serverState(): Promise<ServerStateRecord[]>;
  /** Unknown backend/server: rejects with an error whose code is 'E_PROXY' (any rejection becomes one error line). */
  setAdmin(backend: string, server: string, admin: AdminState): Promise<void>;
  setWeight(backend: string, server: string, weight: number): Promise<void>;
  setHealth(backend: string, server: string, health: InjectedHealth): Promise<void>;
  /** Only when a master serves the API; without it the `reload` command answers with an error line. */
  reload?(strategy?: ReloadStrategy): Promise<ReloadResult>;
}

export interface ProxyTargetExtra {
  strategy?: ReloadStrategy;
  reload?: ApiTarget['reload'];
  /** Merged over what the Proxy reports (e.g. a master's pid). */
  info?: Partial<ProxyInfo>;
}

/** An ApiTarget over a Proxy in this process. */
export function proxyTarget(proxy: Proxy, extra: ProxyTargetExtra = {}): ApiTarget {
  const target: ApiTarget = {
    info: async () => ({ ...proxyInfo(proxy, extra.strategy), ...extra.info }),
    stats: async () => proxy.stats(),
    serverState: async () => proxy.serverState(),
    setAdmin: async (backend, server, admin) => proxy.setAdmin(backend, server, admin),
    setWeight: async (backend, server, weight) => proxy.setWeight(backend, server, weight),
    setHealth: async (backend, server, health) => proxy.setHealth(backend, server, health),
  };
  if (extra.reload) target.reload = extra.reload;
  return target;
}

/** What `show info` says about a Proxy in this process. */
export function proxyInfo(proxy: Proxy, strategy?: ReloadStrategy): ProxyInfo {
  const stats = proxy.stats();
  const listening = new Map(stats.frontends.map((f) => [f.name, f.listening]));
  const servers = { total: 0, up: 0, down: 0, maint: 0 };
  for (const s of proxy.serverState()) {
    servers.total++;
    servers[s.effective]++;
  }
  return {
    pid: process.pid,
    version: qplugVersion(),
    uptimeMs: stats.uptimeMs,
    config: proxy.config.source,
    ...(strategy ? { strategy } : {}),
    frontends: proxy.addresses().map((a) => ({ name: a.frontend, host: a.host, port: a.port, backend: a.backend, listening: listening.get(a.frontend) ?? false })),
    backends: proxy.config.backends.length,
    servers,
    connections: { current: stats.connections.current, total: stats.connections.total },
  };
}

let version: string | undefined;
/** From package.json: src/proxy/api/ and dist/proxy/api/ are both three levels below it. */
export function qplugVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
