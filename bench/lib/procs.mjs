// Processes the proxy bench starts: every one tracked by PID, every wait
// bounded, and all of them stopped in one place (no pkill/killall).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const OUTPUT_KEEP = 64 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class ProcessGroup {
  constructor() {
    /** @type {Set<Tracked>} */
    this.live = new Set();
    this.closed = false;
  }

  /**
   * Start a long-lived process. `pin` runs it under `taskset -c 0` (exec'd, so
   * the PID is the program's own).
   */
  start(name, cmd, args, { pin = false, env } = {}) {
    // After stopAll() (Ctrl-C) the bench's own flow may still try a next step.
    if (this.closed) throw new Error(`not starting ${name}: the bench is stopping`);
    const argv = pin ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
    const child = spawn(argv[0], argv[1], { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    const t = new Tracked(name, child, `${cmd} ${args.join(' ')}`);
    this.live.add(t);
    t.exited.then(() => this.live.delete(t));
    return t;
  }

  /** Run to completion (bounded by timeoutMs); resolves { code, stdout, stderr }. */
  async run(name, cmd, args, { pin = false, timeoutMs, env } = {}) {
    const t = this.start(name, cmd, args, { pin, env });
    const timer = setTimeout(() => t.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await t.exited;
    clearTimeout(timer);
    if (signal === 'SIGKILL') throw new Error(`${name} did not finish within ${timeoutMs} ms: ${t.command}\n${t.tail()}`);
    return { code, stdout: t.stdout, stderr: t.stderr };
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(t, graceMs = 3000) {
    if (t.done) return;
    t.kill('SIGTERM');
    const killed = await Promise.race([t.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (killed) {
      t.kill('SIGKILL');
      await Promise.race([t.exited, sleep(2000)]);
    }
  }

  async stopAll() {
    this.closed = true;
    await Promise.all([...this.live].map((t) => this.stop(t)));
  }
}

class Tracked {
  constructor(name, child, command) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.command = command;
    this.stdout = '';
    this.stderr = '';
    this.done = false;
    this.lineWaiters = [];
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      this.stdout = (this.stdout + d).slice(-OUTPUT_KEEP);
      for (const w of this.lineWaiters) w();
    });
    child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-OUTPUT_KEEP);
      for (const w of this.lineWaiters) w();
    });
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.stderr += `\n${e.message}`;
        this.done = true;
        resolve({ code: 127, signal: null });
      });
      child.on('close', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  kill(signal) {
    if (!this.done && this.pid !== undefined) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  tail() {
    const s = `${this.stdout}\n${this.stderr}`.trim();
    return s.split('\n').slice(-15).join('\n');
  }

  /** Resolve with the first stdout/stderr line matching re; reject on exit or timeout. */
  waitForLine(re, timeoutMs) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = `${this.stdout}\n${this.stderr}`.split('\n').find((l) => re.test(l));
        if (line !== undefined) finish(() => resolve(line));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.tail()}`))), timeoutMs);
      const finish = (fn) => {
        clearTimeout(timer);
        this.lineWaiters = this.lineWaiters.filter((w) => w !== check);
        fn();
      };
      this.lineWaiters.push(check);
      this.exited.then(({ code }) => finish(() => reject(new Error(`${this.name} exited (${code}) before it was ready: ${this.command}\n${this.tail()}`))));
      check();
    });
  }
}

/** A port that was free on 127.0.0.1 a moment ago (never the same one twice per bench). */
const handedOut = new Set();
export async function freePort() {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port: p } = s.address();
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port on 127.0.0.1');
}

/**
 * Wait until something LISTENs on 127.0.0.1:port, asking the kernel (ss) rather
 * than connecting: a probe connection would reach the backend behind a proxy
 * (an iperf3 server takes it for a test).
 */
export async function waitListening(port, tracked, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (tracked?.done) throw new Error(`${tracked.name} exited before listening on ${port}: ${tracked.command}\n${tracked.tail()}`);
    const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8', timeout: 5000 });
    if (out.trim() !== '') return;
    await sleep(20);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms${tracked ? `: ${tracked.command}\n${tracked.tail()}` : ''}`);
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function statOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" closing comm: state ppid ... utime(14) stime(15).
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/**
 * utime+stime in seconds of pid and its live descendants. /proc/PID/stat of a
 * process already sums all its threads.
 */
export function cpuSeconds(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = statOf(name);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push({ pid: Number(name), ticks: st.ticks });
    children.set(st.ppid, list);
  }
  let ticks = statOf(pid)?.ticks ?? 0;
  const queue = [pid];
  for (let guard = 0; queue.length && guard < 10_000; guard++) {
    for (const c of children.get(queue.shift()) ?? []) {
      ticks += c.ticks;
      queue.push(c.pid);
    }
  }
  return ticks / clockTicks;
}

export { sleep };

/**
 * What every bench run holds: a process group, a temp dir with a private
 * copy of tcpload (a cache cleaned mid-run cannot pull it away), and one
 * cleanup that runs at the end or on SIGINT/SIGTERM (then exits 130/143).
 */
export function benchSession({ prefix, tcploadCached, log, onCleanup = () => undefined }) {
  const group = new ProcessGroup();
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const tcpload = join(tmp, 'tcpload');
  copyFileSync(tcploadCached, tcpload);
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await group.stopAll();
    rmSync(tmp, { recursive: true, force: true });
    onCleanup();
  };
  const onSignal = (sig) => {
    log(`${sig}: stopping every process the bench started`);
    cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { group, tmp, tcpload, cleanup };
}
