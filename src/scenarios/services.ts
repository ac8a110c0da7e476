/** services:, load: and requires: -> their plan form, with hosts, ports and targets checked. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findOnPath, isExecutableFile } from '../executables.js';
import type { Checked } from './check.js';
import { commandOf, type PlanContext } from './context.js';
import { COUNTERS } from './expression.js';
import type { Path } from './located.js';
import type { IdempotencyMode, LoadPlan, ReadyCheck, ReloadMethod, ReloadStrategy, Requirements, ServicePlan } from './planTypes.js';
import { checkProxyConfig, type ProxyCheckSource } from './proxyConfig.js';
import { isIpv4, normaliseSignal } from './schema/common.js';
import { hostAddress } from './topology.js';

export interface SourceInfo extends ProxyCheckSource {
  /** Folder that relative paths are read from. */
  dir: string;
}

const local = (address: string) => (address === '0.0.0.0' ? '127.0.0.1' : address);

/** "server:8080", "10.0.0.2:8080", "localhost:80" -> address and port; host names must be known. */
function target(ctx: PlanContext, value: unknown, path: Path): { address: string; port: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const [name = '', portText = ''] = value.split(':');
  const port = Number(portText);
  if (name === 'localhost') return { address: '127.0.0.1', port };
  if (isIpv4(name)) return { address: name, port };
  const host = ctx.host(name, path);
  if (!host) return undefined;
  const address = hostAddress(ctx, host);
  if (address === undefined) {
    ctx.report(path, `host '${host}' has no address to connect to: give its link end an address:, or use 127.0.0.1:${port} from the same host`);
    return undefined;
  }
  return { address, port };
}

function ready(ctx: PlanContext, d: unknown, path: Path, fallback: ReadyCheck | undefined): ReadyCheck | undefined {
  if (d === undefined || d === null || typeof d !== 'object') return fallback;
  const r = d as Checked;
  const timing = { timeoutMs: r.timeout as number, intervalMs: r.interval as number };
  if (typeof r.tcp === 'number') return { kind: 'tcp', address: '127.0.0.1', port: r.tcp, ...timing };
  if (typeof r.tcp === 'string') {
    const t = target(ctx, r.tcp, [...path, 'tcp']);
    return t && { kind: 'tcp', ...t, ...timing };
  }
  if (typeof r.http === 'string') return { kind: 'http', url: r.http, ...timing };
  if (typeof r.output === 'string') return { kind: 'output', pattern: r.output, ...timing };
  if (Array.isArray(r.exec)) return { kind: 'exec', argv: r.exec as string[], ...timing };
  if (typeof r.delay === 'number') return { kind: 'delay', delayMs: r.delay, ...timing };
  return undefined;
}

const DEFAULT_READY = { timeoutMs: 10_000, intervalMs: 100 };

export function planServices(drafts: Record<string, unknown>, ctx: PlanContext, source: SourceInfo): ServicePlan[] {
  const services: ServicePlan[] = [];
  const listening = new Map<string, string>();
  for (const [name, raw] of Object.entries(drafts)) {
    if (!raw || typeof raw !== 'object') continue;
    const d = raw as Checked;
    const path = ['services', name];
    const host = ctx.host(d.host, [...path, 'host']);
    let reload: ReloadMethod = { kind: 'restart' };
    if (d.type === 'proxy') reload = { kind: 'proxy', strategy: d.reload_strategy as ReloadStrategy };
    if (d.type === 'command' && d.reload && typeof d.reload === 'object') {
      const r = d.reload as Checked;
      const command = commandOf(r);
      if (typeof r.signal === 'string') reload = { kind: 'signal', signal: normaliseSignal(r.signal) ?? r.signal };
      else if (command) reload = { kind: 'exec', command };
    }
    // Known even when something else about it is wrong, so steps naming it are not reported too.
    if (typeof d.type === 'string') ctx.services.set(name, { name, type: d.type as ServicePlan['type'], reload });
    if (!host) continue;
    if (typeof d.port === 'number') {
      const key = `${host}:${d.port}`;
      const other = listening.get(key);
      if (other) ctx.report([...path, 'port'], `port ${d.port} on host '${host}' is already taken by service '${other}'`);
      listening.set(key, name);
    }
    const listenReady = (address: string, port: number): ReadyCheck => ({ kind: 'tcp', address: local(address), port, ...DEFAULT_READY });
    switch (d.type) {
      case 'echo':
      case 'http': {
        const address = d.address as string;
        const port = d.port as number;
        const r = ready(ctx, d.ready, [...path, 'ready'], listenReady(address, port));
        if (!r) continue;
        if (d.type === 'echo') services.push({ type: 'echo', name, host, address, port, ready: r });
        else {
          services.push({
            type: 'http',
            name,
            host,
            address,
            port,
            ready: r,
            responseDelayMs: d.response_delay as number,
            keepaliveTimeoutMs: d.keepalive_timeout as number,
            responseBytes: d.response_size as number,
            idempotency: d.idempotency === true ? 'reserve' : d.idempotency === false || d.idempotency === undefined ? 'none' : (d.idempotency as IdempotencyMode),
          });
        }
        break;
      }
      case 'proxy': {
        const configFile = typeof d.config_file === 'string' ? resolve(source.dir, d.config_file) : null;
        if (configFile !== null && !existsSync(configFile)) {
          ctx.report([...path, 'config_file'], `no such file: ${configFile} (the path is relative to the scenario's folder)`);
          continue;
        }
        const frontends = checkProxyConfig(ctx.loc, [...path, configFile ? 'config_file' : 'config'], source, configFile);
        if (frontends === undefined) continue;
        const first = frontends[0];
        const r = ready(ctx, d.ready, [...path, 'ready'], first && listenReady(first.host, first.port));
        if (!r) {
          if (!d.ready) ctx.report(path, 'the proxy has no frontend to check: give it a ready: check');
          continue;
        }
        const config = configFile === null ? ((d.config as Record<string, unknown> | undefined) ?? null) : null;
        services.push({ type: 'proxy', name, host, ready: r, reloadStrategy: d.reload_strategy as ReloadStrategy, config, configFile });
        break;
      }
      case 'command': {
        const command = commandOf(d);
        const r = ready(ctx, d.ready, [...path, 'ready'], undefined);
        if (!command || !r) continue;
        services.push({
          type: 'command',
          name,
          host,
          ready: r,
          command,
          env: (d.env as Record<string, string> | undefined) ?? {},
          cwd: typeof d.cwd === 'string' ? resolve(source.dir, d.cwd) : null,
          reload,
          stopSignal: normaliseSignal(String(d.stop_signal)) ?? 'SIGTERM',
        });
        break;
      }
    }
  }
  return services;
}

/** The `requires:` commands that are not here: paths as given, names looked up on PATH. */
export function missingCommands(requires: Requirements, path: string = process.env.PATH ?? ''): string[] {
  return requires.commands.filter((c) => (c.includes('/') ? !isExecutableFile(c) : findOnPath(c, path) === null));
}

/** requires: -> its plan form (the checker has vetted its shape). */
export function planRequires(raw: unknown): Requirements {
  const d = raw && typeof raw === 'object' ? (raw as Checked) : {};
  const commands = Array.isArray(d.commands) ? d.commands.filter((c): c is string => typeof c === 'string') : [];
  return { commands, install: typeof d.install === 'string' ? d.install : null };
}

export function planLoad(drafts: Record<string, unknown>, ctx: PlanContext): LoadPlan[] {
  const loads: LoadPlan[] = [];
  const reserved = [...COUNTERS, 'latency'] as readonly string[];
  for (const name of Object.keys(drafts)) {
    if (reserved.includes(name)) ctx.report(['load', name], `'${name}' cannot name a load generator: it is a metric word (${reserved.join(', ')})`);
    else ctx.loads.add(name);
  }
  for (const [name, raw] of Object.entries(drafts)) {
    if (!raw || typeof raw !== 'object') continue;
    const d = raw as Checked;
    const path = ['load', name];
    const from = ctx.host(d.from, [...path, 'from']);
    const to = target(ctx, d.to, [...path, 'to']);
    const startMs = (d.start as number | undefined) ?? 0;
    const stopMs = (d.stop as number | undefined) ?? ctx.durationMs;
    if (typeof d.stop === 'number' && d.stop > ctx.durationMs) ctx.report([...path, 'stop'], `stop (${d.stop}ms) is beyond the scenario's duration (${ctx.durationMs}ms): raise duration or stop earlier`);
    if (startMs >= stopMs) ctx.report([...path, 'start'], `start (${startMs}ms) must come before stop (${stopMs}ms)`);
    if (!from || !to) continue;
    const common = { name, from, ...to, startMs, stopMs, timeoutMs: d.timeout as number };
    if (d.type === 'tcp_connect') loads.push({ type: 'tcp_connect', ...common, ratePerSecond: d.rate as number, holdMs: d.hold as number });
    if (d.type === 'http_keepalive') {
      const idle = Array.isArray(d.idle) ? { min: d.idle[0] as number, max: d.idle[1] as number } : { min: d.idle as number, max: d.idle as number };
      if (idle.min > idle.max) ctx.report([...path, 'idle'], `the idle range [${idle.min}ms, ${idle.max}ms] is backwards: write [min, max]`);
      loads.push({
        type: 'http_keepalive',
        ...common,
        connections: d.connections as number,
        idleMs: idle,
        path: d.path as string,
        method: d.method as string,
        retries: d.retries as number,
        idempotencyKey: d.idempotency_key === true,
      });
    }
  }
  return loads;
}
