/** Lines the foreground proxy prints: plain text for people, JSON lines for programs. */
import { formatDuration, formatSize } from '../plug/units.js';
import type { NativeEngineEvent } from '../native/AddonTypes.js';
import { formatAddress } from './address.js';
import type { ProxyConfig } from './configSchema.js';
import type { HealthTransition } from './health.js';
import type { ProxyAddress, ProxyStats } from './Proxy.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `web listening on 127.0.0.1:8080 -> app (2 servers, splice)` */
export function readyLine(a: ProxyAddress): string {
  return `${a.frontend} listening on ${formatAddress(a)} -> ${a.backend} (${plural(a.servers, 'server')}, ${a.splice ? 'splice' : 'copy'})`;
}

export function readyJson(addresses: ProxyAddress[]): Record<string, unknown> {
  return {
    event: 'ready',
    frontends: addresses.map((a) => ({ name: a.frontend, host: a.host, port: a.port, backend: a.backend, servers: a.servers, splice: a.splice })),
  };
}

export function healthJson(t: HealthTransition): Record<string, unknown> {
  return { event: 'health', ...t };
}

/** `web -> app/s1 ok, 12B in, 40B out, 3ms (splice)` */
export function connectionLine(e: NativeEngineEvent): string {
  const server = e.server === null ? e.backend : `${e.backend}/${e.server}`;
  const result = e.errorCode ? `${e.result} ${e.errorCode}` : e.result;
  return `${e.frontend} -> ${server} ${result}, ${formatSize(e.bytesIn)} in, ${formatSize(e.bytesOut)} out, ${formatDuration(e.durationMs)}${e.path ? ` (${e.path})` : ''}`;
}

export function connectionJson(e: NativeEngineEvent): Record<string, unknown> {
  return { event: 'connection', ...e };
}

/** Totals over the frontends: what clients sent (in) and received (out). */
export function totals(stats: ProxyStats): { connections: number; bytesIn: number; bytesOut: number } {
  let bytesIn = 0;
  let bytesOut = 0;
  for (const f of stats.frontends) {
    bytesIn += f.bytesIn;
    bytesOut += f.bytesOut;
  }
  return { connections: stats.connections.total, bytesIn, bytesOut };
}

/** `stopped (SIGTERM) after 12.3s: 42 connections (40 ok, 2 connect-failed), 1.2MiB in, 3.4MiB out` */
export function summaryLine(stats: ProxyStats, reason: string): string {
  const t = totals(stats);
  const results = Object.entries(stats.results)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([result, n]) => `${n} ${result}`);
  const by = results.length > 0 ? ` (${results.join(', ')})` : '';
  return `stopped (${reason}) after ${formatDuration(stats.uptimeMs)}: ${plural(t.connections, 'connection')}${by}, ${formatSize(t.bytesIn)} in, ${formatSize(t.bytesOut)} out`;
}

export function stoppedJson(stats: ProxyStats, reason: string): Record<string, unknown> {
  const { bytesIn, bytesOut } = totals(stats);
  return { event: 'stopped', reason, bytesIn, bytesOut, ...stats };
}

/** For `qplug proxy check`: one line about what the file defines. */
export function checkLine(config: ProxyConfig): string {
  const servers = config.backends.reduce((n, b) => n + b.servers.length, 0);
  const checked = config.backends.reduce((n, b) => n + b.servers.filter((s) => s.check).length, 0);
  return `${config.source}: valid: ${plural(config.frontends.length, 'frontend')}, ${plural(config.backends.length, 'backend')}, ${plural(servers, 'server')} (${checked} health-checked)`;
}
