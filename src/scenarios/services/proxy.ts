/**
 * A proxy service: the real `qplug proxy` (master + worker), started from a
 * config written into a private folder of the run, with `global.api` set to
 * a socket in that folder so reload steps can go through the runtime API.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { apiRequest } from '../../proxy/api/client.js';
import type { ProxyService, ReloadStrategy } from '../planTypes.js';
import { StepFailure } from '../run/stepContext.js';
import { freshServiceDir, serviceDir } from './dirs.js';

/** `qplug proxy -c <file> --json` without the CLI parser (src/proxy/main.ts): it starts faster. */
const PROXY_MAIN = fileURLToPath(new URL('../../proxy/main.js', import.meta.url));
/** A unix socket path holds at most 107 bytes. */
const MAX_SOCKET_PATH = 107;
/** The proxy's own bound on one API command; a reload that hangs longer has failed. */
const RELOAD_TIMEOUT_MS = 120_000;

export interface ProxyFiles {
  readonly dir: string;
  readonly configFile: string;
  readonly socket: string;
}

/** Writes the config with global.api pointing into a fresh 0700 folder. */
export function writeProxyFiles(plan: ProxyService, netns: string): ProxyFiles {
  const dir = serviceDir(netns, plan.name);
  const socket = join(dir, 'api.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new Error(`service '${plan.name}': the API socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter service or host name`);
  freshServiceDir(dir);
  const source = plan.configFile === null ? structuredClone(plan.config ?? {}) : (parse(readFileSync(plan.configFile, 'utf8')) as Record<string, unknown> | null) ?? {};
  const global = source.global && typeof source.global === 'object' ? (source.global as Record<string, unknown>) : {};
  const config = { ...source, global: { ...global, api: socket } };
  const configFile = join(dir, 'proxy.yaml');
  writeFileSync(configFile, stringify(config), { mode: 0o600 });
  return { dir, configFile, socket };
}

export function removeProxyFiles(files: ProxyFiles | undefined): void {
  if (files) rmSync(files.dir, { recursive: true, force: true });
}

export function proxyArgv(files: ProxyFiles): string[] {
  return [process.execPath, PROXY_MAIN, files.configFile];
}

export interface ProxyReady {
  readonly pid: number;
  readonly workerPid: number;
  readonly frontends: ReadonlyArray<{ readonly name: string; readonly host: string; readonly port: number }>;
}

/** The `{"event":"ready",...}` line of `qplug proxy --json`, or null for any other line. */
export function parseReadyLine(line: string): ProxyReady | null {
  if (!line.startsWith('{"event":"ready"')) return null;
  try {
    const r = JSON.parse(line) as Partial<ProxyReady>;
    if (typeof r.pid !== 'number' || typeof r.workerPid !== 'number' || !Array.isArray(r.frontends)) return null;
    return { pid: r.pid, workerPid: r.workerPid, frontends: r.frontends };
  } catch {
    return null;
  }
}

export interface ProxyReloaded {
  readonly strategy: ReloadStrategy;
  readonly oldPid: number;
  readonly newPid: number;
  /** The proxy's own measure: from its reload command until the new worker served. */
  readonly ms: number;
  /** From sending the request to reading the answer: what the caller (and a plug held across it) waits. */
  readonly callMs: number;
}

/** `reload <strategy>` over the runtime API; resolves once the proxy says the new worker serves. */
export async function reloadProxy(name: string, socket: string, strategy: ReloadStrategy, signal: AbortSignal): Promise<ProxyReloaded> {
  signal.throwIfAborted();
  const sent = performance.now();
  const request = apiRequest(socket, `reload ${strategy} --json`, { timeoutMs: RELOAD_TIMEOUT_MS });
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  request.catch(() => undefined);
  try {
    const reply = await Promise.race([request, aborted]);
    const callMs = Math.round((performance.now() - sent) * 10) / 10;
    if (!reply.ok) throw new StepFailure(`reload of '${name}' (${strategy}) failed: ${reply.error ?? reply.lines.join(' ')}`);
    const r = JSON.parse(reply.lines.join('')) as Partial<ProxyReloaded>;
    if (typeof r.oldPid !== 'number' || typeof r.newPid !== 'number' || typeof r.ms !== 'number') throw new Error(`reload of '${name}': unexpected reply ${reply.lines.join(' ').slice(0, 200)}`);
    return { strategy, oldPid: r.oldPid, newPid: r.newPid, ms: r.ms, callMs };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
