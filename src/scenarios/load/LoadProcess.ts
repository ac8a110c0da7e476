/**
 * The runner's side of a host's load generators: a child in the host's
 * namespace (load/generator.ts), started before t0, told when t0 is, read as
 * JSON lines of attempts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Attempt } from '../run/events.js';
import { OUTCOMES } from '../expression.js';
import type { LoadPlan } from '../planTypes.js';
import { deferred, onLines, signalGroup, waitExit } from '../run/proc.js';
import type { GeneratorSpec } from './generator.js';

const ENTRY = fileURLToPath(new URL('./generator.js', import.meta.url));

export class LoadProcess {
  private child: ChildProcess | undefined;
  private readonly stderr: string[] = [];
  private readonly ready = deferred<void>();
  private readonly done = deferred<void>();
  private ended = false;

  constructor(
    readonly host: string,
    private readonly netns: string,
    private readonly loads: readonly LoadPlan[],
    private readonly seed: number,
    private readonly onAttempts: (attempts: Attempt[]) => void,
  ) {}

  /** Resolves when every generator of the host has finished; rejects if the child dies first. */
  get finished(): Promise<void> {
    return this.done.promise;
  }

  private fail(error: Error): void {
    this.ready.reject(error);
    this.done.reject(error);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start the child and wait until it is ready to go. */
  async start(timeoutMs: number): Promise<void> {
    const spec: GeneratorSpec = { seed: this.seed, loads: [...this.loads] };
    const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, ENTRY, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    onLines(child.stdout, (line) => this.onLine(line));
    onLines(child.stderr, (line) => { if (this.stderr.length < 20) this.stderr.push(line); });
    child.on('error', (e) => this.fail(e));
    child.on('exit', (code, signal) => {
      if (!this.ended) this.fail(new Error(`the load generator of host '${this.host}' exited early (${signal ?? `exit ${code}`})${this.stderr.length ? `: ${this.stderr.join(' ').slice(0, 300)}` : ''}`));
    });
    const timer = setTimeout(() => this.fail(new Error(`the load generator of host '${this.host}' did not start within ${timeoutMs} ms`)), timeoutMs);
    try {
      await this.ready.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  go(t0: number): void {
    this.child?.stdin?.write(`${JSON.stringify({ t0 })}\n`);
  }

  private onLine(line: string): void {
    let msg: { t?: string; l?: string; a?: [number, number, number][] };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.t === 'ready') this.ready.resolve();
    else if (msg.t === 'done') {
      this.ended = true;
      this.done.resolve();
    } else if (msg.t === 'a' && typeof msg.l === 'string' && Array.isArray(msg.a)) {
      const load = msg.l;
      this.onAttempts(msg.a.map(([startMs, o, latencyMs]) => ({ load, startMs, outcome: OUTCOMES[o] ?? 'other', latencyMs })));
    }
  }

  /** Stop now (a step failed, or an interrupt): closing stdin ends the child; the group is killed if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.ended = true;
    this.done.resolve();
    child.stdin?.end();
    if (!(await waitExit(child, 2000))) {
      signalGroup(child.pid, 'SIGKILL');
      await waitExit(child, 5000);
    }
  }
}
