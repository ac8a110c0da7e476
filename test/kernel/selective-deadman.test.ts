/**
 * Selective plugs and the dead-man release against a real sch_plug (kernel tier: inside the lab).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PlugQdisc } from '../../src/plug/PlugQdisc.js';
import { EchoClient, here, PEER_ADDR, qplugBin, sh, sleep, tcShow, Topology, waitFor } from './helpers.js';

const topo = new Topology();
let client: EchoClient;
let tcpEcho: ChildProcess | undefined;

beforeAll(async () => {
  client = await topo.upWithClient();
  const echo = spawn('ip', ['netns', 'exec', topo.ns, process.execPath, join(here, 'fixtures', 'tcp-echo.mjs'), '8080', '9090'], { stdio: ['ignore', 'pipe', 'inherit'] });
  tcpEcho = echo;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('tcp echo did not start')), 60_000);
    echo.stdout?.once('data', () => { clearTimeout(t); resolve(); });
  });
});

afterAll(() => {
  if (tcpEcho?.pid && tcpEcho.exitCode === null) tcpEcho.kill('SIGKILL');
  topo.down();
});

afterEach(async () => {
  const open = await PlugQdisc.open({ dev: 'v0' }).catch(() => null);
  if (open) await open.detach().catch(() => undefined);
});

function connectTo(port: number): { socket: Socket; connected: Promise<number> } {
  const started = Date.now();
  const socket = connect({ host: PEER_ADDR, port });
  const connected = new Promise<number>((resolve, reject) => {
    socket.once('connect', () => resolve(Date.now() - started));
    socket.once('error', reject);
  });
  return { socket, connected };
}

async function echoOnce(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d) => resolve(d.toString()));
    socket.write(text);
  });
}

describe('selective plug: tcp dport 8080 syn', () => {
  it('holds new connections to 8080 only; established ones and other ports flow; release completes the held connect', async () => {
    const before = tcShow('v0');
    const established = connectTo(8080);
    await established.connected;
    const plug = await PlugQdisc.attach({ dev: 'v0', match: 'tcp dport 8080 syn' });
    expect(plug.match).toBe('tcp dport 8080 syn');
    expect(tcShow('v0')).toMatch(/qdisc prio/);
    await plug.buffer({ maxHold: '60s' });

    const held = connectTo(8080);
    let heldDone = false;
    held.connected.then(() => (heldDone = true), () => (heldDone = true));
    const other = connectTo(9090);
    await other.connected;
    expect(await echoOnce(other.socket, 'ping9090')).toBe('ping9090');
    expect(await echoOnce(established.socket, 'still-here')).toBe('still-here');
    await sleep(1500);
    expect(heldDone).toBe(false);
    const [status] = await PlugQdisc.list({ dev: 'v0' });
    expect(status).toMatchObject({ state: 'buffering', match: 'tcp dport 8080 syn' });
    expect(status!.backlog.packets).toBeGreaterThanOrEqual(1);

    await plug.releaseIndefinite();
    await held.connected; // delayed, not dropped or reset
    expect(await echoOnce(held.socket, 'late')).toBe('late');
    for (const c of [held, other, established]) c.socket.destroy();
    await plug.detach();
    expect(tcShow('v0')).toBe(before);
    expect(sh('tc', ['filter', 'show', 'dev', 'v0']).trim()).toBe('');
  });
});

describe('dead-man release', () => {
  it('`qplug plug v0 --max-hold 2s` alone: traffic flows again within 3 s', async () => {
    await PlugQdisc.attach({ dev: 'v0' }).then((p) => p.close());
    const r = spawnSync(process.execPath, [qplugBin, 'plug', 'v0', '--max-hold', '2s'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const frozenAt = Date.now();
    const start = client.received.length;
    const seqs = await client.send(3);
    await waitFor('the watchdog release', () => seqs.every((s) => client.received.includes(s)), 20_000);
    expect(Date.now() - frozenAt).toBeLessThan(3000 + 1000);
    expect(client.received.length - start).toBe(3);
    const [s] = await PlugQdisc.list({ dev: 'v0' });
    expect(s!.state).toBe('pass-through');
  });

  it('`qplug pulse v0 --hold 60s --max-hold 2s`, killed with SIGKILL after 1 s: traffic flows within 3 s of the kill', async () => {
    const pulse = spawn(process.execPath, [qplugBin, 'pulse', 'v0', '--hold', '60s', '--max-hold', '2s'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => pulse.stderr?.once('data', () => resolve()));
    await sleep(1000);
    pulse.kill('SIGKILL');
    const killedAt = Date.now();
    const seqs = await client.send(3);
    await waitFor('traffic after the kill', () => seqs.every((s) => client.received.includes(s)), 20_000);
    expect(Date.now() - killedAt).toBeLessThan(3000);
  });
});
