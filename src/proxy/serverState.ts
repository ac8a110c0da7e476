/**
 * Operational state as data: what `show servers state` prints and what a
 * reload carries from the old process to the new one (HAProxy's
 * server-state-file). Records are matched by backend/server name.
 */
import type { ProxyConfig } from './configSchema.js';
import { ADMIN_STATES, INJECTED_HEALTH, type AdminState, type CheckState, type EffectiveState, type InjectedHealth } from './health.js';

/** One server's operational state. */
export interface ServerStateRecord {
  backend: string;
  server: string;
  /** host:port from the configuration. */
  address: string;
  admin: AdminState;
  /** The weight in use (set at run time, or the configuration's). */
  weight: number;
  /** The configuration's weight; when a reload changes it, the file wins over an imported weight. */
  configWeight: number;
  injected: InjectedHealth;
  check: CheckState;
  effective: EffectiveState;
  /** Connections to the server now. */
  current: number;
}

/** What an import reads from a record; every field but the names is optional. */
export type ServerStateImport = Pick<ServerStateRecord, 'backend' | 'server'> &
  Partial<Pick<ServerStateRecord, 'admin' | 'weight' | 'configWeight' | 'injected' | 'check'>>;

/** One server's changes, already checked against the configuration. */
export interface ServerStateChange {
  backend: string;
  server: string;
  admin?: AdminState;
  injected?: InjectedHealth;
  check?: 'up' | 'down';
  weight?: number;
}

/**
 * Which imported records apply to this configuration. Records may come from
 * another process (JSON), so every field is checked; what is not applied is
 * returned as one phrase per problem.
 */
export function planServerStateImport(config: ProxyConfig, records: readonly unknown[]): { changes: ServerStateChange[]; problems: string[] } {
  const changes: ServerStateChange[] = [];
  const problems: string[] = [];
  const gone: string[] = [];
  for (const item of records) {
    const r = (item ?? {}) as Partial<Record<keyof ServerStateImport, unknown>>;
    const name = `${String(r.backend)}/${String(r.server)}`;
    const server = config.backends.find((b) => b.name === r.backend)?.servers.find((s) => s.name === r.server);
    if (!server || typeof r.backend !== 'string' || typeof r.server !== 'string') {
      gone.push(name);
      continue;
    }
    const change: ServerStateChange = { backend: r.backend, server: r.server };
    if (ADMIN_STATES.includes(r.admin as AdminState)) change.admin = r.admin as AdminState;
    else if (r.admin !== undefined) problems.push(`${name}: admin state ${JSON.stringify(r.admin)} ignored`);
    if (INJECTED_HEALTH.includes(r.injected as InjectedHealth)) change.injected = r.injected as InjectedHealth;
    else if (r.injected !== undefined) problems.push(`${name}: health ${JSON.stringify(r.injected)} ignored`);
    if (r.check === 'up' || r.check === 'down') change.check = r.check;
    if (typeof r.weight === 'number' && r.weight !== server.weight) {
      // A weight set at run time survives a reload, unless the reload changed it in the file.
      if (typeof r.configWeight === 'number' && r.configWeight !== server.weight) {
        problems.push(`${name}: weight ${r.weight} not applied, the configuration changed it to ${server.weight}`);
      } else change.weight = r.weight;
    }
    changes.push(change);
  }
  if (gone.length > 0) {
    const list = `${gone.slice(0, 10).join(', ')}${gone.length > 10 ? ', ...' : ''}`;
    problems.unshift(`ignored ${gone.length} record${gone.length === 1 ? '' : 's'} for servers not in the configuration: ${list}`);
  }
  return { changes, problems };
}
