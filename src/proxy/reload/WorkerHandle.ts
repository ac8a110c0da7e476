/**
 * The master's side of one worker process: fork it, call it (every call
 * bounded by a timeout), hear its events, know when it is gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProxyError } from '../../errors.js';
import { deserializeError, type CallMethod, type ControlCalls, type FromWorker, type ProxyMethod, type WorkerEvent } from './protocol.js';

/** dist/proxy/reload/worker.js beside this file (compiled); tests may point elsewhere. */
export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'worker.js');
  if (existsSync(js)) return js;
  // Running from src/ (vitest on the sources): the compiled worker in dist/.
  return join(here, '..', '..', '..', 'dist', 'proxy', 'reload', 'worker.js');
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WorkerHandleEvents {
  event: [event: WorkerEvent];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

export class WorkerHandle extends EventEmitter<WorkerHandleEvents> {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone = false;
  private readonly loaded: Promise<void>;

  private constructor(child: ChildProcess) {
    super();
    this.child = child;
    if (child.pid === undefined) throw new ProxyError('could not start a proxy worker process');
    this.pid = child.pid;
    this.loaded = new Promise((resolve, reject) => {
      const onEvent = (e: WorkerEvent) => {
        if (e.type !== 'loaded') return;
        this.off('event', onEvent);
        resolve();
      };
      this.on('event', onEvent);
      this.once('exit', (code) => reject(new ProxyError(`the proxy worker ${this.pid} exited (${code}) while starting`)));
    });
    this.loaded.catch(() => undefined);
    child.on('message', (message) => this.onMessage(message as FromWorker | null));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.gone = true;
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new ProxyError(`the proxy worker ${this.pid} exited (${signal ?? code}) before it answered`));
        }
        this.pending.clear();
        this.emit('exit', code, signal);
        resolve({ code, signal });
      });
    });
    // An IPC write to a worker that just died: the exit handler reports it.
    child.on('error', () => undefined);
  }

  /** Fork a worker; resolves once it has loaded its modules and the addon. */
  static async spawn(workerPath = defaultWorkerPath(), timeoutMs = 30_000): Promise<WorkerHandle> {
    if (!existsSync(workerPath)) throw new ProxyError(`the proxy worker ${workerPath} is missing: run \`npm run build:ts\``);
    const child = fork(workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    const handle = new WorkerHandle(child);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        handle.loaded,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new ProxyError(`the proxy worker ${handle.pid} did not load within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      handle.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return handle;
  }

  get alive(): boolean {
    return !this.gone;
  }

  call<M extends keyof ControlCalls>(method: M, args: ControlCalls[M], timeoutMs: number): Promise<unknown>;
  call(method: ProxyMethod, args: unknown[], timeoutMs: number): Promise<unknown>;
  call(method: CallMethod, args: unknown[], timeoutMs: number): Promise<unknown> {
    if (this.gone) return Promise.reject(new ProxyError(`the proxy worker ${this.pid} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProxyError(`the proxy worker ${this.pid} did not answer '${method}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ type: 'call', id, method, args }, (error) => {
        if (!error) return;
        const p = this.pending.get(id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new ProxyError(`cannot reach the proxy worker ${this.pid}: ${error.message}`));
      });
    });
  }

  /** Wait for one event of a type (e.g. 'receiving' during a handoff). */
  waitFor(type: WorkerEvent['type'], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new ProxyError(`the proxy worker ${this.pid} sent no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      const onEvent = (e: WorkerEvent) => e.type === type && finish();
      const onExit = () => finish(new ProxyError(`the proxy worker ${this.pid} exited before '${type}'`));
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      this.on('event', onEvent);
      this.on('exit', onExit);
    });
  }

  /** SIGKILL (the worker ignores the polite signals: the master speaks to it over IPC). */
  kill(): void {
    if (!this.gone) this.child.kill('SIGKILL');
  }

  private onMessage(message: FromWorker | null): void {
    if (message?.type === 'result') {
      const p = this.pending.get(message.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(message.id);
      if (message.error) p.reject(deserializeError(message.error));
      else p.resolve(message.value);
      return;
    }
    if (message && typeof message.type === 'string') this.emit('event', message);
  }
}
