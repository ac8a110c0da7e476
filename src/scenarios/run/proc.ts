/**
 * Child processes of a run. Every child gets its own process group (so a
 * terminal's Ctrl-C reaches only qplug, which then tears down in order) and
 * every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CommandOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Keep at most this many characters of each stream (default 64 KiB). */
  maxOutput?: number;
}

/** Signal a process group we started; false when it is gone already. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalPid(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Run a command to completion; never throws for a non-zero exit (look at `code`). */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  const max = options.maxOutput ?? 65_536;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file ?? '', args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd, detached: true });
    } catch (error) {
      reject(error as Error);
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const kill = () => {
      signalGroup(child.pid, 'SIGCONT');
      signalGroup(child.pid, 'SIGKILL');
    };
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => { timedOut = true; kill(); }, options.timeoutMs);
    const onAbort = () => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (d: Buffer) => { if (stdout.length < max) stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < max) stderr += d.toString(); });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => { done(); reject(error); });
    child.on('close', (code, signal) => { done(); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}

/** Run, and throw with the command's own stderr when it fails. */
export async function mustRun(argv: readonly string[], options: CommandOptions = {}): Promise<string> {
  const r = await runCommand(argv, { timeoutMs: 60_000, ...options });
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${options.timeoutMs ?? 60_000} ms` : (r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`);
    throw new Error(`\`${argv.join(' ')}\` failed: ${why || `exit ${r.code ?? r.signal}`}`);
  }
  return r.stdout;
}

/** Wait for a child to exit, at most `ms`; true when it did. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.off('exit', onExit); resolve(false); }, ms);
    const onExit = () => { clearTimeout(timer); resolve(true); };
    child.once('exit', onExit);
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason as Error); return; }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, ms));
    const onAbort = () => { clearTimeout(timer); reject(signal?.reason as Error); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Split a stream into lines. */
export function onLines(stream: NodeJS.ReadableStream | null | undefined, fn: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      fn(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    // A child that never ends a line cannot grow us without bound.
    if (buffer.length > 1_000_000) { fn(buffer); buffer = ''; }
  });
  stream.on('end', () => { if (buffer) fn(buffer); });
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A promise settled from outside; a rejection nobody awaits is not reported as unhandled. */
export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
