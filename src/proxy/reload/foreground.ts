/**
 * `qplug proxy` as a master process without yargs: fork the worker, print
 * when ready (naming the worker's PID), print health transitions and
 * reloads, reload on SIGUSR2, stop gracefully on SIGINT/SIGTERM and print a
 * summary. The single-process runProxy (../foreground.ts) stays for library
 * users who want the engine in their own process.
 */
import { ConfigError, ExitCode, ProxyError } from '../../errors.js';
import type { ProxyConfig } from '../configSchema.js';
import type { ProxyStats } from '../Proxy.js';
import { connectionJson, connectionLine, healthJson, readyJson, readyLine, stoppedJson, summaryLine } from '../report.js';
import { ApiServer } from '../api/server.js';
import { Master, type MasterOptions, type ReloadOutcome } from './Master.js';
import { masterTarget } from './remoteTarget.js';

export interface RunMasterOptions extends Omit<MasterOptions, 'connectionEvents'> {
  json?: boolean;
  /** One line per closed connection. */
  log?: boolean;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
}

/** SIGINT/SIGTERM stop; SIGUSR2 reloads with the configured strategy (HAProxy's master-worker uses it too). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export const RELOAD_SIGNAL = 'SIGUSR2';

export function reloadLine(o: ReloadOutcome): string {
  return `reloaded (${o.strategy}) in ${o.ms}ms: worker ${o.oldPid} -> ${o.newPid}, the old one drains`;
}

/** Runs until SIGINT/SIGTERM; resolves with the serving worker's final stats. */
export async function runMaster(config: ProxyConfig, options: RunMasterOptions = {}): Promise<ProxyStats> {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const emit = (text: string, json: Record<string, unknown>) => write(options.json ? JSON.stringify(json) : `proxy: ${text}`);
  const signals = new Signals();
  let api: ApiServer | undefined;
  try {
    const master = await Master.start(config, { ...options, connectionEvents: options.log === true });
    master.on('health', (t) => emit(t.message, healthJson(t)));
    master.on('warning', (message, pid) => emit(`warning: ${message}`, { event: 'warning', message, workerPid: pid }));
    if (options.log) master.on('connection', (e) => emit(connectionLine(e), connectionJson(e)));
    master.on('reloaded', (o) => emit(reloadLine(o), { event: 'reloaded', strategy: o.strategy, oldPid: o.oldPid, newPid: o.newPid, ms: o.ms }));
    master.on('reload-failed', (error, pid) => {
      const problems = error instanceof ConfigError ? error.problems : [error.message];
      emit(`reload failed, worker ${pid} keeps serving: ${problems.join('; ')}`, {
        event: 'reload-failed',
        workerPid: pid,
        message: error.message,
        ...(error instanceof ConfigError ? { problems } : {}),
      });
    });
    master.on('worker-exited', (x) => {
      const left = x.stats?.results.stopped ?? 0;
      const how = x.stats ? `drained${left > 0 ? `, ${left} connection${left === 1 ? '' : 's'} cut at the hard stop` : ''}` : x.reason;
      emit(`worker ${x.pid} exited (${how})`, { event: 'worker-exited', pid: x.pid, reason: x.reason, ...(x.stats ? { results: x.stats.results } : {}) });
    });
    master.on('worker-died', (pid, code, signal) => signals.fail(`the proxy worker ${pid} died (${signal ?? `exit ${code}`})`));
    // The master owns the API socket: it outlives every worker. Before the ready lines, so it is usable once they are out.
    if (config.global.api !== undefined) {
      try {
        api = await ApiServer.start({ path: config.global.api, target: masterTarget(master) });
      } catch (error) {
        await master.stop(0);
        throw error;
      }
    }

    const addresses = master.addresses();
    if (options.json) write(JSON.stringify({ ...readyJson(addresses), pid: process.pid, workerPid: master.pid }));
    else for (const a of addresses) write(`proxy: ${readyLine(a)}`);
    if (api) emit(`runtime API on ${api.path} (mode 0600)`, { event: 'api', path: api.path });

    signals.onReload(() => void master.reload().catch(() => undefined)); // 'reload-failed' printed it
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const reason = await signals.next().catch((error: unknown) => {
      master.kill();
      throw error;
    });
    signals.onNext((again) => {
      emit(`${again} again: exiting now, without waiting for open connections`, { event: 'forced', reason: again });
      master.kill();
      process.exit(ExitCode.interrupted);
    });
    await api?.close();
    api = undefined;
    const stats = await master.stop();
    clearInterval(keepAlive);
    emit(summaryLine(stats, reason), stoppedJson(stats, reason));
    return stats;
  } finally {
    await api?.close();
    signals.dispose();
  }
}

/** Stop signals as promises (a second one goes to onNext), the reload signal as a callback. */
class Signals {
  private waiting: Array<{ resolve: (signal: string) => void; reject: (error: Error) => void }> = [];
  private pending?: string;
  private failure?: Error;
  private reload?: () => void;
  private readonly onStop = (signal: NodeJS.Signals) => {
    const waiting = this.waiting;
    this.waiting = [];
    if (waiting.length === 0) this.pending = signal;
    for (const w of waiting) w.resolve(signal);
  };
  private readonly onReloadSignal = () => this.reload?.();

  constructor() {
    for (const s of STOP_SIGNALS) process.on(s, this.onStop);
    process.on(RELOAD_SIGNAL, this.onReloadSignal);
  }

  next(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const pending = this.pending;
    this.pending = undefined;
    return pending ? Promise.resolve(pending) : new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  onNext(callback: (signal: string) => void): void {
    this.waiting.push({ resolve: callback, reject: () => undefined });
  }

  onReload(callback: () => void): void {
    this.reload = callback;
  }

  /** The proxy cannot go on: whoever waits for a signal gets this error instead. */
  fail(message: string): void {
    this.failure = new ProxyError(message);
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(this.failure);
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.onStop);
    process.off(RELOAD_SIGNAL, this.onReloadSignal);
    this.waiting = [];
  }
}
