/**
 * The runtime API's text replies. Every function returns lines without
 * newlines and never an empty line: an empty line ends a reply.
 */
import { formatDuration } from '../../plug/units.js';
import { formatAddress } from '../address.js';
import type { ProxyInfo, ProxyStats, ServerStateRecord } from './target.js';

/** `name: value` lines, as HAProxy's `show info`. */
export function formatInfo(info: ProxyInfo): string[] {
  const s = info.servers;
  return [
    `pid: ${info.pid}`,
    `version: ${info.version}`,
    `uptime: ${formatDuration(info.uptimeMs)}`,
    `config: ${info.config}`,
    ...(info.strategy ? [`reload strategy: ${info.strategy}`] : []),
    ...(info.master ? [`master: pid ${info.master.pid}, ${info.master.reloads} reload${info.master.reloads === 1 ? '' : 's'}`] : []),
    ...info.frontends.map((f) => `frontend ${f.name}: ${formatAddress(f)} -> ${f.backend}, ${f.listening ? 'listening' : 'not listening'}`),
    `backends: ${info.backends}`,
    `servers: ${s.total} (${s.up} up, ${s.down} down, ${s.maint} maint)`,
    `connections: ${info.connections.current} current, ${info.connections.total} total`,
  ];
}

export const STAT_COLUMNS = [
  'name',
  'server',
  'type',
  'status',
  'weight',
  'current',
  'peak',
  'total',
  'bytes_in',
  'bytes_out',
  'connect_errors',
  'queue_current',
  'queue_peak',
  'queue_timeouts',
  'check',
] as const;

/** CSV with a `# ` header line, as HAProxy's `show stat`: frontends, then each backend and its servers. */
export function formatStat(stats: ProxyStats, states: readonly ServerStateRecord[]): string[] {
  const effective = new Map(states.map((s) => [`${s.backend}/${s.server}`, s.effective]));
  const lines = [`# ${STAT_COLUMNS.join(',')}`];
  const row = (values: Array<string | number>) => lines.push(values.join(','));
  for (const f of stats.frontends) {
    row([f.name, 'FRONTEND', 'frontend', f.listening ? 'OPEN' : 'CLOSED', '', f.current, f.peak, f.total, f.bytesIn, f.bytesOut, '', '', '', '', '']);
  }
  for (const b of stats.backends) {
    const up = b.servers.some((s) => (effective.get(`${b.name}/${s.name}`) ?? (s.enabled ? 'up' : 'down')) === 'up');
    const weight = b.servers.reduce((n, s) => n + (s.enabled ? s.weight : 0), 0);
    const q = b.queue;
    row([b.name, 'BACKEND', 'backend', up ? 'UP' : 'DOWN', weight, b.current, '', b.total, b.bytesIn, b.bytesOut, b.connectErrors, q.current, q.peak, q.timeouts, '']);
    for (const s of b.servers) {
      const status = (effective.get(`${b.name}/${s.name}`) ?? (s.enabled ? 'up' : 'down')).toUpperCase();
      row([b.name, s.name, 'server', status, s.weight, s.current, s.peak, s.total, s.bytesIn, s.bytesOut, s.connectErrors, '', '', '', s.check]);
    }
  }
  return lines;
}

export const SERVER_STATE_COLUMNS = ['backend', 'server', 'address', 'admin', 'weight', 'injected', 'check', 'effective', 'current'] as const;

/** A `# ` header, then one space-separated line per server (HAProxy's `show servers state`). */
export function formatServersState(records: readonly ServerStateRecord[]): string[] {
  return [`# ${SERVER_STATE_COLUMNS.join(' ')}`, ...records.map((r) => SERVER_STATE_COLUMNS.map((c) => String(r[c])).join(' '))];
}

/** `app/s1: admin maint, weight 3, health auto, check up -> maint` */
export function formatServer(r: ServerStateRecord): string {
  return `${r.backend}/${r.server}: admin ${r.admin}, weight ${r.weight}, health ${r.injected}, check ${r.check} -> ${r.effective}`;
}

export function formatPool(stats: Pick<ProxyStats, 'pool' | 'pipes'>): string[] {
  const p = stats.pool;
  return [
    `buffers: ${p.buffers} of ${p.bufferSize} bytes, ${p.free} free, ${p.inUse} in use (peak ${p.peakInUse}), ${p.waiting} waiting, ${p.waits} waits`,
    `pipes: ${stats.pipes.inUse} in use, ${stats.pipes.idle} idle, ${stats.pipes.created} created`,
  ];
}

/** One line, printable ASCII only, at most `max` characters: safe to echo back whatever a client sent. */
export function printable(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
