/**
 * The master of a multi-process proxy: it runs the engine in a worker process
 * and replaces that worker on reload, with one of three strategies:
 *
 *   restart    old worker closes its listeners, then the new one binds:
 *              connections are refused in between.
 *   reuseport  the new worker binds beside the old one (SO_REUSEPORT) and
 *              serves; then the old one closes its listeners (the reload ends
 *              there): what still sits in their accept queues is reset (the
 *              reload race).
 *   handoff    the old worker passes its listening sockets to the new one
 *              (SCM_RIGHTS); the new one adopts them and serves, the old one
 *              stops accepting. No listener is closed, nothing is reset.
 *
 * Either way the old worker then drains its connections for up to `grace` and
 * exits. The master keeps the next worker forked and loaded (a spare), so a
 * reload does not wait for a process to start: what the old listener's queue
 * has to survive is only the config read and the new worker's bind. A reload re-reads the config file first; a bad one leaves the old
 * worker serving. Server state (admin, weights, injected health) is carried
 * from the old worker to the new one.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyError } from '../../errors.js';
import type { NativeEngineEvent } from '../../native/AddonTypes.js';
import type { ProxyConfig, ReloadStrategy } from '../configSchema.js';
import type { HealthTransition } from '../health.js';
import type { ProxyAddress, ProxyStats } from '../Proxy.js';
import type { ServerStateImport } from '../serverState.js';
import type { ProxyMethod, StartRequest, StartResult, WorkerEvent } from './protocol.js';
import { WorkerHandle } from './WorkerHandle.js';

/** How long after a reload the next spare worker is forked (a reload sooner than that forks its own). */
const SPARE_DELAY_MS = 100;
/** Bounds every call that is not a drain. */
const CALL_TIMEOUT_MS = 15_000;
/** A drain takes the grace period plus this, at most. */
const DRAIN_SLACK_MS = 15_000;

export interface MasterOptions {
  /** Re-read on every reload; without it (one-line form) a reload keeps the same configuration. */
  configPath?: string;
  /** Forward one 'connection' event per closed connection (--log). */
  connectionEvents?: boolean;
  /** Overrides global.grace: on stop, and how long an old worker drains after a reload. */
  graceMs?: number;
  /** The compiled worker entry; default dist/proxy/reload/worker.js. */
  workerPath?: string;
  /** Re-reads the config file; default loadProxyConfig. */
  loadConfig?: (path: string) => Promise<ProxyConfig>;
  /** A first worker already forking (main.ts forks it before loading anything else); default: fork one. */
  firstWorker?: Promise<WorkerHandle>;
}

export interface ReloadOutcome {
  strategy: ReloadStrategy;
  oldPid: number;
  newPid: number;
  /** From the request until the new worker served. */
  ms: number;
  addresses: ProxyAddress[];
}

export interface WorkerExit {
  pid: number;
  /** The worker's final stats, when it drained properly. */
  stats: ProxyStats | null;
  reason: string;
}

export interface MasterEvents {
  health: [transition: HealthTransition, pid: number];
  warning: [message: string, pid: number];
  connection: [event: NativeEngineEvent, pid: number];
  reloaded: [outcome: ReloadOutcome];
  'reload-failed': [error: Error, pid: number];
  /** An old worker finished draining (or died). */
  'worker-exited': [exit: WorkerExit];
  /** The serving worker died on its own: the proxy is down. */
  'worker-died': [pid: number, code: number | null, signal: NodeJS.Signals | null];
}

export class Master extends EventEmitter<MasterEvents> {
  config: ProxyConfig;
  private current: WorkerHandle;
  private currentAddresses: ProxyAddress[];
  private readonly options: MasterOptions;
  private readonly runtimeDir: string;
  private readonly draining = new Set<Promise<void>>();
  private reloading: Promise<unknown> = Promise.resolve();
  private stopping?: Promise<ProxyStats>;
  private killed = false;
  /** Forks the next spare, SPARE_DELAY_MS after a reload. */
  private spareTimer?: NodeJS.Timeout;
  private reloadCount = 0;
  /** The next worker, forked and loaded ahead of the reload that will use it. */
  private spare: Promise<WorkerHandle | null> | null = null;

  private constructor(config: ProxyConfig, worker: WorkerHandle, addresses: ProxyAddress[], runtimeDir: string, options: MasterOptions) {
    super();
    this.config = config;
    this.current = worker;
    this.currentAddresses = addresses;
    this.runtimeDir = runtimeDir;
    this.options = options;
    this.watch(worker);
    this.prepareSpare();
  }

  /** Fork the next worker in the background; a failure here only means the reload forks its own. */
  private prepareSpare(): void {
    clearTimeout(this.spareTimer);
    if (this.stopping || this.killed || this.spare) return;
    this.spare = WorkerHandle.spawn(this.options.workerPath).catch(() => null);
  }

  /** The spare if it is loaded and alive, else a freshly forked worker. */
  private async nextWorker(): Promise<WorkerHandle> {
    const spare = this.spare ? await this.spare : null;
    this.spare = null;
    return spare?.alive ? spare : WorkerHandle.spawn(this.options.workerPath);
  }

  /** Kill the spare (on stop). */
  private async dropSpare(): Promise<void> {
    const spare = this.spare ? await this.spare : null;
    this.spare = null;
    if (!spare) return;
    spare.kill();
    await exitedWithin(spare, 5000);
  }

  /** Fork the first worker and start the proxy in it; resolves once every frontend listens. */
  static async start(config: ProxyConfig, options: MasterOptions = {}): Promise<Master> {
    // Private (0700) directory for the handoff sockets.
    const runtimeDir = mkdtempSync(join(tmpdir(), 'qplug-proxy-'));
    let worker: WorkerHandle | undefined;
    try {
      worker = await (options.firstWorker ?? WorkerHandle.spawn(options.workerPath));
      const request: StartRequest = { config, ports: {}, connectionEvents: options.connectionEvents === true };
      const { addresses } = (await worker.call('start', [request], CALL_TIMEOUT_MS)) as StartResult;
      return new Master(config, worker, addresses, runtimeDir, options);
    } catch (error) {
      worker?.kill();
      await worker?.exited;
      rmSync(runtimeDir, { recursive: true, force: true });
      throw error;
    }
  }

  get pid(): number {
    return this.current.pid;
  }

  get reloads(): number {
    return this.reloadCount;
  }

  addresses(): ProxyAddress[] {
    return this.currentAddresses.map((a) => ({ ...a }));
  }

  /** A Proxy method (or 'info'), run in the serving worker: what the runtime API calls. */
  call(method: ProxyMethod | 'info', args: unknown[] = []): Promise<unknown> {
    return method === 'info' ? this.current.call('info', [], CALL_TIMEOUT_MS) : this.current.call(method, args, CALL_TIMEOUT_MS);
  }

  /**
   * Replace the worker. One reload at a time: a second call waits for the
   * first. Rejects (and the old worker keeps serving) on a bad config file or
   * when the new worker cannot start.
   */
  reload(strategy?: ReloadStrategy): Promise<ReloadOutcome> {
    const next = this.reloading.then(() => this.reloadNow(strategy));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(requested: ReloadStrategy | undefined): Promise<ReloadOutcome> {
    if (this.stopping) throw new ProxyError('the proxy is stopping: no reload');
    const started = performance.now();
    const old = this.current;
    try {
      const config = this.options.configPath ? await (this.options.loadConfig ?? defaultLoadConfig)(this.options.configPath) : this.config;
      const strategy = requested ?? config.global.reloadStrategy;
      const state = (await old.call('serverState', [], CALL_TIMEOUT_MS)) as ServerStateImport[];
      const request: StartRequest = {
        config,
        ...carryOver(this.config, this.currentAddresses, config),
        serverState: state,
        connectionEvents: this.options.connectionEvents === true,
      };
      const next = await this.nextWorker();
      let addresses: ProxyAddress[];
      try {
        addresses = await this.startNext(strategy, old, next, request);
      } catch (error) {
        next.kill();
        throw error;
      }
      // reuseport: the reload is over once the old listeners are closed, not when the new
      // worker serves: until then connections can still land in a queue that is about to
      // be reset, and whoever waits for the reload (a SYN plug released after it) must know.
      if (strategy === 'reuseport') await old.call('closeListeners', [], CALL_TIMEOUT_MS).catch(() => undefined);
      this.watch(next);
      this.current = next;
      this.currentAddresses = addresses;
      this.config = config;
      this.reloadCount++;
      const outcome: ReloadOutcome = { strategy, oldPid: old.pid, newPid: next.pid, ms: Math.round(performance.now() - started), addresses };
      this.retire(old, strategy === 'handoff');
      this.emit('reloaded', outcome);
      return outcome;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      this.emit('reload-failed', e, old.pid);
      throw e;
    } finally {
      // The next spare is forked a moment after this reload has answered: forking and
      // loading a process would otherwise compete with the reload, and with the first
      // connections of the new worker (a plug released after the reload, say).
      clearTimeout(this.spareTimer);
      this.spareTimer = setTimeout(() => this.prepareSpare(), SPARE_DELAY_MS).unref();
    }
  }

  /** The strategy's steps up to the new worker serving; returns its addresses. */
  private async startNext(strategy: ReloadStrategy, old: WorkerHandle, next: WorkerHandle, request: StartRequest): Promise<ProxyAddress[]> {
    const start = async (r: StartRequest) => ((await next.call('start', [r], CALL_TIMEOUT_MS)) as StartResult).addresses;
    switch (strategy) {
      case 'restart':
        await old.call('closeListeners', [], CALL_TIMEOUT_MS);
        return start(request);
      case 'reuseport':
        return start(request);
      case 'handoff': {
        const handoffPath = join(this.runtimeDir, `handoff-${next.pid}.sock`);
        const started = start({ ...request, handoffPath });
        started.catch(() => undefined);
        await Promise.race([next.waitFor('receiving', CALL_TIMEOUT_MS), started]);
        await old.call('sendListeners', [handoffPath], CALL_TIMEOUT_MS);
        return started;
      }
    }
  }

  /** Let an old worker drain in the background; report when it is gone. */
  private retire(old: WorkerHandle, pause: boolean): void {
    const graceMs = this.graceMs();
    const done = old
      .call('drain', [graceMs, pause], graceMs + DRAIN_SLACK_MS)
      .then(
        (stats) => ({ pid: old.pid, stats: stats as ProxyStats, reason: 'drained' }),
        (error: Error) => {
          old.kill();
          return { pid: old.pid, stats: null, reason: error.message };
        },
      )
      .then(async (exit) => {
        await exitedWithin(old, 5000);
        old.kill();
        this.emit('worker-exited', exit);
      });
    this.draining.add(done);
    void done.finally(() => this.draining.delete(done));
  }

  /**
   * Stop the serving worker gracefully (listeners closed, connections get
   * graceMs), wait for draining ones, remove the runtime directory. Resolves
   * with the serving worker's final stats. Idempotent.
   */
  stop(graceMs = this.graceMs()): Promise<ProxyStats> {
    this.stopping ??= (async () => {
      clearTimeout(this.spareTimer);
      await this.reloading;
      await this.dropSpare();
      const worker = this.current;
      try {
        return (await worker.call('drain', [graceMs, false], graceMs + DRAIN_SLACK_MS)) as ProxyStats;
      } finally {
        await exitedWithin(worker, 5000);
        worker.kill();
        await Promise.all([...this.draining]);
        rmSync(this.runtimeDir, { recursive: true, force: true });
      }
    })();
    return this.stopping;
  }

  /** Kill every worker now (a second Ctrl-C). */
  kill(): void {
    this.killed = true;
    clearTimeout(this.spareTimer);
    this.current.kill();
    void this.spare?.then((spare) => spare?.kill());
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  private graceMs(): number {
    return this.options.graceMs ?? this.config.global.graceMs;
  }

  private watch(worker: WorkerHandle): void {
    worker.on('event', (e) => this.forward(e, worker.pid));
    worker.once('exit', (code, signal) => {
      if (worker === this.current && !this.stopping) this.emit('worker-died', worker.pid, code, signal);
    });
  }

  private forward(e: WorkerEvent, pid: number): void {
    if (e.type === 'health') this.emit('health', e.transition, pid);
    else if (e.type === 'warning') this.emit('warning', e.message, pid);
    else if (e.type === 'connection') this.emit('connection', e.event, pid);
  }
}

/** Waits for the worker's exit, at most ms (the timer does not hold the process). */
async function exitedWithin(worker: WorkerHandle, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([worker.exited, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function defaultLoadConfig(path: string): Promise<ProxyConfig> {
  const { loadProxyConfig } = await import('../config.js');
  return loadProxyConfig(path);
}

/**
 * What the new worker keeps from the old one: the real port of each frontend
 * bound with port 0, and which frontends adopt the old socket on a handoff —
 * those with the same name and the same bind in both configurations.
 */
export function carryOver(before: ProxyConfig, bound: readonly ProxyAddress[], after: ProxyConfig): Pick<StartRequest, 'ports' | 'adopt'> {
  const ports: Record<string, number> = {};
  const adopt: string[] = [];
  for (const f of after.frontends) {
    const old = before.frontends.find((o) => o.name === f.name);
    if (!old || old.host !== f.host || old.port !== f.port) continue;
    adopt.push(f.name);
    const real = bound.find((a) => a.frontend === f.name);
    if (f.port === 0 && real) ports[f.name] = real.port;
  }
  return { ports, adopt };
}
