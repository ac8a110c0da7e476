/**
 * Test topology for the kernel tier (runs inside the lab VM as root):
 * v0 (10.77.0.1, this namespace) <-veth-> v1 (10.77.0.2, namespace NS),
 * a UDP echo server in NS, and a client that sends numbered datagrams and
 * counts the echoes — an echo means the peer received the datagram.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const qplugBin = join(repoRoot, 'bin', 'qplug.js');

/** What `qplug scenario --json` prints: the fields every kernel test reads; each test types its variants. */
export interface ScenarioJson<V> {
  scenario: string;
  seed: number;
  exit_code: number;
  where: string;
  variants: V[];
}

/**
 * `qplug scenario scenarios/<name>.yaml --repeat N --json`, here (inside the lab):
 * the process, its summary, its variants by name, and how long it took.
 */
export function runShippedScenario<V extends { name: string }>(name: string, repeat: number, options: { timeoutMs: number; env?: Record<string, string> }): {
  r: SpawnSyncReturns<string>;
  s: ScenarioJson<V>;
  byName: Record<string, V>;
  seconds: number;
} {
  const started = Date.now();
  const r = spawnSync(process.execPath, [qplugBin, 'scenario', join(repoRoot, 'scenarios', `${name}.yaml`), '--repeat', String(repeat), '--json'], {
    encoding: 'utf8',
    timeout: options.timeoutMs,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
  });
  const seconds = (Date.now() - started) / 1000;
  const s = JSON.parse(r.stdout) as ScenarioJson<V>;
  return { r, s, byName: Object.fromEntries(s.variants.map((v) => [v.name, v])), seconds };
}

export const LOCAL_ADDR = '10.77.0.1';
export const PEER_ADDR = '10.77.0.2';
export const ECHO_PORT = 7777;

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tcShow(dev: string, ns?: string): string {
  const out = sh('tc', [...(ns ? ['-n', ns] : []), 'qdisc', 'show', 'dev', dev]);
  // refcnt changes with unrelated kernel activity; it is not part of the tree.
  return out.replace(/refcnt \d+/g, '').trim();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

export class Topology {
  readonly ns = `qk-${randomBytes(3).toString('hex')}`;
  private echo: ChildProcess | undefined;
  private client: EchoClient | undefined;

  /** up(), then an echo client that has made one round trip: traffic flows. */
  async upWithClient(): Promise<EchoClient> {
    await this.up();
    this.client = await EchoClient.open();
    await this.client.roundTrip();
    return this.client;
  }

  async up(): Promise<void> {
    sh('ip', ['netns', 'add', this.ns]);
    sh('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', this.ns]);
    // No IPv6: its router/multicast chatter would land in the plug's counters.
    sh('sysctl', ['-qw', 'net.ipv6.conf.v0.disable_ipv6=1']);
    sh('ip', ['netns', 'exec', this.ns, 'sysctl', '-qw', 'net.ipv6.conf.v1.disable_ipv6=1']);
    sh('ip', ['addr', 'add', `${LOCAL_ADDR}/24`, 'dev', 'v0']);
    sh('ip', ['-n', this.ns, 'addr', 'add', `${PEER_ADDR}/24`, 'dev', 'v1']);
    sh('ip', ['link', 'set', 'v0', 'up']);
    sh('ip', ['-n', this.ns, 'link', 'set', 'v1', 'up']);
    sh('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
    // Static neighbours: a held ARP request would otherwise hide what we measure.
    const mac = (dev: string, ns?: string) =>
      JSON.parse(sh('ip', [...(ns ? ['-n', ns] : []), '-j', 'link', 'show', dev]))[0].address as string;
    sh('ip', ['neigh', 'replace', PEER_ADDR, 'lladdr', mac('v1', this.ns), 'dev', 'v0', 'nud', 'permanent']);
    sh('ip', ['-n', this.ns, 'neigh', 'replace', LOCAL_ADDR, 'lladdr', mac('v0'), 'dev', 'v1', 'nud', 'permanent']);
    const echo = spawn('ip', ['netns', 'exec', this.ns, process.execPath, join(here, 'fixtures', 'udp-echo.mjs'), String(ECHO_PORT)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.echo = echo;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('udp echo server did not start within 60 s')), 60_000);
      echo.stdout?.once('data', () => { clearTimeout(timer); resolve(); });
      echo.once('exit', (code) => { clearTimeout(timer); reject(new Error(`udp echo server exited with ${code}`)); });
    });
  }

  /** Always safe to call, also after a failed up(). */
  down(): void {
    this.client?.close();
    // Deleting v0 takes its qdiscs with it.
    if (this.echo?.pid && this.echo.exitCode === null) this.echo.kill('SIGKILL');
    try { sh('ip', ['link', 'del', 'v0']); } catch { /* already gone */ }
    try { sh('ip', ['netns', 'del', this.ns]); } catch { /* already gone */ }
  }
}

/** Sends datagrams "seq:padding" to the echo server and records echoed seqs in arrival order. */
export class EchoClient {
  readonly received: number[] = [];
  private readonly socket: Socket;
  private nextSeq = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg) => this.received.push(Number(msg.toString('utf8').split(':')[0])));
  }

  static async open(): Promise<EchoClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOCAL_ADDR, resolve));
    return new EchoClient(socket);
  }

  /** Send n datagrams of `size` bytes; returns their sequence numbers. */
  async send(n: number, size = 200): Promise<number[]> {
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) {
      const seq = this.nextSeq++;
      const head = `${seq}:`;
      const payload = Buffer.alloc(Math.max(size, head.length), 0x2e);
      payload.write(head);
      await new Promise<void>((resolve, reject) => this.socket.send(payload, ECHO_PORT, PEER_ADDR, (e) => (e ? reject(e) : resolve())));
      seqs.push(seq);
    }
    return seqs;
  }

  /** A datagram round trip, to prove traffic flows. */
  async roundTrip(timeoutMs = 20_000): Promise<void> {
    const [seq] = await this.send(1);
    await waitFor(`echo of datagram ${seq}`, () => this.received.includes(seq!), timeoutMs);
  }

  close(): void {
    this.socket.close();
  }
}
