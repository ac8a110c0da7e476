/**
 * One service of a run: a process started inside its host's namespace
 * (`ip netns exec NS ...`, which execs, so the PID is the service's own), in
 * its own process group. Built-in echo/http services are services/server.js;
 * `command` services run their argv; proxy services run `qplug proxy` (see
 * proxy.ts), ready at its ready line, reloaded through its runtime API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReloadMethod, ServicePlan } from '../planTypes.js';
import { deferred, onLines, runCommand, signalGroup, signalPid, waitExit, type Deferred } from '../run/proc.js';
import { freshServiceDir, serviceDir } from './dirs.js';
import { parseReadyLine, proxyArgv, reloadProxy, removeProxyFiles, writeProxyFiles, type ProxyFiles, type ProxyReady, type ProxyReloaded } from './proxy.js';
import { waitReady } from './ready.js';
import type { BuiltinSpec } from './server.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));
/** Output lines kept for `output:` conditions that start waiting late. */
const KEEP_LINES = 1000;

export type ServiceState = 'starting' | 'ready' | 'exited' | 'reloaded' | 'stopped' | 'frozen' | 'thawed';
/** A proxy reload done: `pid` is the master's, old/new the workers'. */
export type ReloadListener = (reload: ProxyReloaded & { pid: number | null }) => void;
/** A built-in's counters (services/server.ts), added up over its restarts. */
export type CountersListener = (counters: Readonly<Record<string, number>>) => void;
/** On SIGTERM the proxy lets connections finish for its grace (default 5 s): wait a little longer before SIGKILL. */
const PROXY_STOP_GRACE_MS = 8000;
/**
 * A command service's private directory for the run (pid files, sockets):
 * $TMPDIR/qplug-<netns>-<service>, like a proxy's, so the next run removes it
 * after a run that was killed. Its path is in this variable for the command
 * and its reload command, and replaces `${QPLUG_RUN_DIR}` in their argv and
 * env values.
 */
const RUN_DIR_ENV = 'QPLUG_RUN_DIR';
const RUN_DIR_REF = `\${${RUN_DIR_ENV}}`;

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  private readonly watchers = new Set<(line: string) => void>();
  private exitedFlag = false;
  private stopping = false;
  private listening: Deferred<void> | undefined;
  /** Where a proxy's ready line says it listens (every frontend). */
  private proxyListens: ProxyReady['frontends'] = [];
  private proxyFiles: ProxyFiles | undefined;
  /** Command services: made (0700) on the first start, kept across restarts, removed by stop(). */
  private runDir: string | undefined;
  /** The proxy's current worker (from its ready line, then each reload). */
  workerPid: number | null = null;
  frozen = false;
  /** Passed its readiness check and has not exited or been stopped since. */
  ready = false;
  /** Counters of earlier processes (before a restart), and of the current one. */
  private carried: Record<string, number> = {};
  private current: Record<string, number> = {};

  constructor(
    readonly plan: ServicePlan,
    readonly netns: string,
    private readonly onState: (state: ServiceState, pid: number | null, detail: string | null) => void,
    private readonly onReload: ReloadListener = () => undefined,
    private readonly onCounters: CountersListener = () => undefined,
  ) {}

  get name(): string { return this.plan.name; }
  get pid(): number | null { return this.child?.pid ?? null; }
  get exited(): boolean { return this.exitedFlag; }

  private argv(): { argv: string[]; env: NodeJS.ProcessEnv; cwd: string | undefined; stdin: 'pipe' | 'ignore' } {
    const p = this.plan;
    if (p.type === 'echo' || p.type === 'http') {
      const spec: BuiltinSpec = p.type === 'echo'
        ? { kind: 'echo', address: p.address, port: p.port }
        : { kind: 'http', address: p.address, port: p.port, responseDelayMs: p.responseDelayMs, keepaliveTimeoutMs: p.keepaliveTimeoutMs, responseBytes: p.responseBytes, idempotency: p.idempotency };
      // stdin is a pipe so the server exits when the runner dies.
      return { argv: [process.execPath, SERVER, JSON.stringify(spec)], env: process.env, cwd: undefined, stdin: 'pipe' };
    }
    if (p.type === 'command') {
      const { argv, env } = this.withRunDir(p.command.argv, p.env);
      return { argv, env, cwd: p.cwd ?? undefined, stdin: 'ignore' };
    }
    removeProxyFiles(this.proxyFiles);
    this.proxyFiles = writeProxyFiles(p, this.netns);
    return { argv: proxyArgv(this.proxyFiles), env: process.env, cwd: undefined, stdin: 'ignore' };
  }

  /** Start, then wait for readiness (bounded by the ready check's timeout). */
  async start(signal: AbortSignal): Promise<void> {
    const { argv, env, cwd, stdin } = this.argv();
    this.exitedFlag = false;
    this.stopping = false;
    this.ready = false;
    this.carried = this.counters();
    this.current = {};
    this.listening = deferred<void>();
    const child = spawn('ip', ['netns', 'exec', this.netns, ...argv], { stdio: [stdin, 'pipe', 'pipe'], env, cwd, detached: true });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    const exited = deferred<void>();
    child.on('error', (e) => exited.reject(e));
    child.on('exit', (code, sig) => {
      this.exitedFlag = true;
      this.ready = false;
      const detail = sig ?? `exit ${code}`;
      if (!this.stopping) this.onState('exited', child.pid ?? null, detail);
      exited.reject(new Error(`service '${this.name}' exited before it was ready (${detail})${this.lastLines()}`));
    });
    const line = (text: string) => {
      if (text.startsWith('{"t":"listening"')) this.listening?.resolve();
      if (text.startsWith('{"t":"counters"')) this.countersLine(text);
      const proxyReady = this.plan.type === 'proxy' ? parseReadyLine(text) : null;
      if (proxyReady) {
        this.workerPid = proxyReady.workerPid;
        this.proxyListens = proxyReady.frontends;
        this.listening?.resolve();
      }
      this.lines.push(text);
      if (this.lines.length > KEEP_LINES) this.lines.shift();
      for (const w of this.watchers) w(text);
    };
    onLines(child.stdout, line);
    onLines(child.stderr, line);
    this.onState('starting', child.pid ?? null, null);
    const ready = this.plan.type === 'command' ? waitReady(this, this.plan.ready, signal) : this.builtinReady(signal);
    // Whichever loses the race must not surface later as an unhandled rejection.
    ready.catch(() => undefined);
    await Promise.race([ready, exited.promise]);
    this.ready = true;
    this.onState('ready', child.pid ?? null, null);
  }

  /** A built-in says when it listens, the proxy prints its ready line; the ready check runs after that. */
  private async builtinReady(signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.plan.ready.timeoutMs + 20_000);
    const both = AbortSignal.any([signal, timeout]);
    const aborted = new Promise<never>((_, reject) => both.addEventListener('abort', () => reject(signal.aborted ? signal.reason : new Error(`service '${this.name}' did not listen within ${this.plan.ready.timeoutMs} ms${this.lastLines()}`)), { once: true }));
    aborted.catch(() => undefined);
    await Promise.race([this.listening?.promise, aborted]);
    // Reload steps need the runtime API: the proxy prints its socket just after the ready line.
    if (this.plan.type === 'proxy') await Promise.race([this.waitForOutput(/^\{"event":"api"/, both), aborted]);
    const p = this.plan;
    // What the service itself said it listens on needs no probe (a probe is one more process: ~1 s in the lab).
    const r = p.ready;
    const said = r.kind === 'tcp' && (p.type === 'proxy'
      ? this.proxyListens.some((f) => f.port === r.port && (f.host === r.address || f.host === '0.0.0.0' || f.host === '::'))
      : p.type !== 'command' && r.port === p.port);
    if (!said) await waitReady(this, r, signal);
  }

  /** Every process's counters added up; peaks (peak_*) are the highest instead. */
  private counters(): Record<string, number> {
    const all = { ...this.carried };
    for (const [k, v] of Object.entries(this.current)) all[k] = k.startsWith('peak_') ? Math.max(all[k] ?? 0, v) : (all[k] ?? 0) + v;
    return all;
  }

  private countersLine(text: string): void {
    try {
      const c = (JSON.parse(text) as { c?: unknown }).c;
      if (!c || typeof c !== 'object') return;
      this.current = Object.fromEntries(Object.entries(c).filter((e): e is [string, number] => typeof e[1] === 'number'));
    } catch {
      return;
    }
    this.onCounters(this.counters());
  }

  private lastLines(): string {
    const tail = this.lines.slice(-3).join(' | ');
    return tail ? `: ${tail.slice(0, 300)}` : '';
  }

  /** For `output:` checks and conditions: lines already seen count too. */
  waitForOutput(pattern: RegExp, signal: AbortSignal): Promise<void> {
    if (this.lines.some((l) => pattern.test(l))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const watch = (l: string) => { if (pattern.test(l)) { cleanup(); resolve(); } };
      const onAbort = () => { cleanup(); reject(signal.reason as Error); };
      const cleanup = () => { this.watchers.delete(watch); signal.removeEventListener('abort', onAbort); };
      this.watchers.add(watch);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  sendSignal(sig: string): void {
    if (this.exitedFlag || !signalPid(this.child?.pid, sig as NodeJS.Signals)) throw new Error(`service '${this.name}' is not running: cannot send ${sig}`);
  }

  freeze(): void {
    if (this.exitedFlag || !signalGroup(this.child?.pid, 'SIGSTOP')) throw new Error(`service '${this.name}' is not running: cannot freeze it`);
    this.frozen = true;
    this.onState('frozen', this.pid, null);
  }

  thaw(): void {
    signalGroup(this.child?.pid, 'SIGCONT');
    if (this.frozen) this.onState('thawed', this.pid, null);
    this.frozen = false;
  }

  /** `answered` runs as soon as the reload is done, before its events (a reload's hold releases its plug there). */
  async reload(method: ReloadMethod, signal: AbortSignal, answered?: () => Promise<void>): Promise<void> {
    switch (method.kind) {
      case 'signal':
        this.sendSignal(method.signal);
        break;
      case 'exec': {
        const { argv, env } = this.plan.type === 'command' ? this.withRunDir(method.command.argv, this.plan.env) : { argv: method.command.argv, env: process.env };
        const r = await runCommand(['ip', 'netns', 'exec', this.netns, ...argv], { env, timeoutMs: 60_000, signal });
        if (r.code !== 0) throw new Error(`reload of '${this.name}' (\`${method.command.argv.join(' ')}\`) failed: ${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`} ${r.stderr.trim().split('\n')[0] ?? ''}`.trim());
        break;
      }
      case 'restart':
        await this.halt();
        await this.start(signal);
        break;
      case 'proxy': {
        if (this.exitedFlag || !this.proxyFiles) throw new Error(`service '${this.name}' is not running: cannot reload it`);
        const reloaded = await reloadProxy(this.name, this.proxyFiles.socket, method.strategy, signal);
        await answered?.();
        this.workerPid = reloaded.newPid;
        this.onReload({ ...reloaded, pid: this.pid });
        this.onState('reloaded', this.pid, `${method.strategy}: worker ${reloaded.oldPid} -> ${reloaded.newPid} in ${reloaded.ms}ms`);
        return;
      }
    }
    await answered?.();
    this.onState('reloaded', this.pid, method.kind);
  }

  /** Stop signal, a grace period, then SIGKILL to the whole group; the run directory goes too. Never throws. */
  async stop(graceMs?: number): Promise<void> {
    try {
      await this.halt(graceMs);
    } finally {
      if (this.runDir !== undefined) rmSync(this.runDir, { recursive: true, force: true });
      this.runDir = undefined;
    }
  }

  /** A command's argv and environment with its run directory (made on first use). */
  private withRunDir(argv: readonly string[], extra: Readonly<Record<string, string>>): { argv: string[]; env: NodeJS.ProcessEnv } {
    const dir = (this.runDir ??= freshServiceDir(serviceDir(this.netns, this.name)));
    const fill = (value: string) => value.replaceAll(RUN_DIR_REF, dir);
    const env = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, fill(v)]));
    return { argv: argv.map(fill), env: { ...process.env, ...env, [RUN_DIR_ENV]: dir } };
  }

  /** stop() without removing the run directory: a restart keeps it. */
  private async halt(graceMs = this.plan.type === 'proxy' ? PROXY_STOP_GRACE_MS : 3000): Promise<void> {
    const child = this.child;
    if (!child) return;
    try {
      await this.stopProcess(child, graceMs);
    } finally {
      removeProxyFiles(this.proxyFiles);
      this.proxyFiles = undefined;
    }
  }

  private async stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
    this.stopping = true;
    this.ready = false;
    signalGroup(child.pid, 'SIGCONT');
    this.frozen = false;
    if (!this.exitedFlag) {
      const stopSignal = (this.plan.type === 'command' ? this.plan.stopSignal : 'SIGTERM') as NodeJS.Signals;
      signalPid(child.pid, stopSignal);
      child.stdin?.end();
      if (!(await waitExit(child, graceMs))) signalGroup(child.pid, 'SIGKILL');
      await waitExit(child, 5000);
    }
    // Whatever it forked, in its group, goes too.
    signalGroup(child.pid, 'SIGKILL');
    this.onState('stopped', child.pid ?? null, null);
  }
}
