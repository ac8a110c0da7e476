/**
 * `qplug proxy` without yargs: start, print when ready, print health
 * transitions, serve the runtime API when global.api names a socket, stop
 * gracefully on SIGINT/SIGTERM and print a summary.
 */
import { ExitCode } from '../errors.js';
import { ApiServer } from './api/server.js';
import { proxyTarget } from './api/target.js';
import type { ProxyConfig } from './configSchema.js';
import { Proxy, type ProxyStartOptions, type ProxyStats } from './Proxy.js';
import { connectionJson, connectionLine, healthJson, readyJson, readyLine, stoppedJson, summaryLine } from './report.js';

export interface RunProxyOptions extends ProxyStartOptions {
  /** JSON lines instead of text. */
  json?: boolean;
  /** One line per closed connection. */
  log?: boolean;
  /** Overrides global.grace. */
  graceMs?: number;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
  /**
   * Resolves with the reason to stop; default: the first SIGINT or SIGTERM.
   * A second signal while stopping exits at once (130), not waiting for
   * open connections: the engine cannot shorten a grace period under way.
   */
  until?: Promise<string>;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Runs until `until` (a signal); resolves with the final stats. */
export async function runProxy(config: ProxyConfig, options: RunProxyOptions = {}): Promise<ProxyStats> {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const emit = (text: string, json: Record<string, unknown>) => write(options.json ? JSON.stringify(json) : `proxy: ${text}`);
  const signals = options.until ? undefined : new SignalWatch();
  let api: ApiServer | undefined;
  try {
    const proxy = await Proxy.start(config, { ...options, connectionEvents: options.log === true });
    proxy.on('health', (t) => emit(t.message, healthJson(t)));
    proxy.on('warning', (error) => emit(`warning: ${error.message}`, { event: 'warning', message: error.message }));
    if (options.log) proxy.on('connection', (e) => emit(connectionLine(e), connectionJson(e)));
    // Before the ready lines, so that whoever waits for them can use the API at once.
    if (config.global.api !== undefined) {
      try {
        api = await ApiServer.start({ path: config.global.api, target: proxyTarget(proxy) });
      } catch (error) {
        await proxy.stop({ graceMs: 0 });
        throw error;
      }
    }
    const addresses = proxy.addresses();
    if (options.json) write(JSON.stringify(readyJson(addresses)));
    else for (const a of addresses) write(`proxy: ${readyLine(a)}`);
    if (api) emit(`runtime API on ${api.path} (mode 0600)`, { event: 'api', path: api.path });
    // Nothing else keeps the event loop alive: the engine runs on its own threads.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const reason = await (options.until ?? signals!.next());
    const graceMs = options.graceMs ?? config.global.graceMs;
    signals?.onNext((again) => {
      emit(`${again} again: exiting now, without waiting for open connections`, { event: 'forced', reason: again });
      process.exit(ExitCode.interrupted);
    });
    // The socket goes first: a stopping proxy takes no more commands.
    await api?.close();
    const stats = await proxy.stop({ graceMs });
    clearInterval(keepAlive);
    emit(summaryLine(stats, reason), stoppedJson(stats, reason));
    return stats;
  } finally {
    await api?.close();
    signals?.dispose();
  }
}

/** SIGINT/SIGTERM as promises; while listening, the default (exit) is off. */
class SignalWatch {
  private waiting: Array<(signal: string) => void> = [];
  /** A signal that came while nobody waited (during start). */
  private pending?: string;
  private readonly handler = (signal: NodeJS.Signals) => {
    const waiting = this.waiting;
    this.waiting = [];
    if (waiting.length === 0) this.pending = signal;
    for (const resolve of waiting) resolve(signal);
  };

  constructor() {
    for (const s of STOP_SIGNALS) process.on(s, this.handler);
  }

  next(): Promise<string> {
    const pending = this.pending;
    this.pending = undefined;
    return pending ? Promise.resolve(pending) : new Promise((resolve) => this.waiting.push(resolve));
  }

  onNext(callback: (signal: string) => void): void {
    this.waiting.push(callback);
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.handler);
    this.waiting = [];
  }
}
