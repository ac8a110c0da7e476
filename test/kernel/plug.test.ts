/**
 * The plug binding against a real sch_plug (kernel tier: runs inside the lab).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlugQdisc } from '../../src/plug/PlugQdisc.js';
import { EchoClient, sh, sleep, tcShow, Topology, waitFor } from './helpers.js';

const topo = new Topology();
let client: EchoClient;
let plug: PlugQdisc | undefined;

beforeAll(async () => {
  client = await topo.upWithClient();
});

afterAll(() => topo.down());

afterEach(async () => {
  // Never leave a plug behind for the next test, whatever happened.
  if (plug) await plug.detach().catch(() => undefined);
  plug = undefined;
  try { sh('tc', ['qdisc', 'del', 'dev', 'v0', 'root']); } catch { /* default already */ }
});

async function backlog(): Promise<{ packets: number; bytes: number; drops: number; sent: number }> {
  const s = await plug!.status();
  return { packets: s.backlog.packets, bytes: s.backlog.bytes, drops: s.drops, sent: s.sent.packets };
}

describe('plug qdisc on a veth (real sch_plug)', () => {
  it('attach passes traffic through: nothing is frozen by attaching', async () => {
    const before = tcShow('v0');
    plug = await PlugQdisc.attach({ dev: 'v0' });
    expect(plug.state).toBe('pass-through');
    expect(tcShow('v0')).toMatch(/qdisc plug [0-9a-f]+: root/);
    expect(tcShow('v0')).not.toBe(before);
    await client.roundTrip();
    const s = await plug.status();
    expect(s.state).toBe('pass-through');
    expect(s.sent.packets).toBeGreaterThan(0);
    expect(s.backlog.packets).toBe(0);
  });

  it('buffer holds everything: the peer receives nothing while the backlog grows', async () => {
    plug = await PlugQdisc.attach({ dev: 'v0' });
    await plug.buffer();
    expect(plug.state).toBe('buffering');
    const start = client.received.length;
    const seqs = await client.send(20);
    await sleep(1500);
    expect(client.received.length - start).toBe(0);
    const b = await backlog();
    expect(b.packets).toBeGreaterThanOrEqual(20);
    expect(b.bytes).toBeGreaterThanOrEqual(20 * 200);
    expect((await plug.status()).state).toBe('buffering');

    await plug.releaseIndefinite();
    await waitFor('all 20 echoes', () => seqs.every((s) => client.received.includes(s)));
    // Delivered in order, nothing lost.
    expect(client.received.slice(start)).toEqual(seqs);
    expect((await backlog()).packets).toBe(0);
    expect((await plug.status()).state).toBe('pass-through');
  });

  it('release_one releases only what was buffered before the last mark', async () => {
    plug = await PlugQdisc.attach({ dev: 'v0' });
    await plug.buffer();
    const start = client.received.length;
    const first = await client.send(5);
    await plug.buffer(); // the mark: closes the epoch holding `first`
    const second = await client.send(5);
    await sleep(500);
    expect(client.received.length - start).toBe(0);

    await plug.releaseOne();
    await waitFor('the first epoch', () => first.every((s) => client.received.includes(s)));
    await sleep(1500);
    expect(client.received.slice(start)).toEqual(first);
    expect((await backlog()).packets).toBeGreaterThanOrEqual(5);

    await plug.releaseIndefinite();
    await waitFor('the second epoch', () => second.every((s) => client.received.includes(s)));
    expect(client.received.slice(start)).toEqual([...first, ...second]);
  });

  it('exceeding the limit counts drops; what fit is delivered on release', async () => {
    plug = await PlugQdisc.attach({ dev: 'v0', limitBytes: '8k' });
    expect(plug.limitBytes).toBe(8192);
    await plug.buffer();
    const start = client.received.length;
    const seqs = await client.send(30, 1000);
    await sleep(500);
    const b = await backlog();
    expect(b.drops).toBeGreaterThan(0);
    expect(b.bytes).toBeLessThanOrEqual(8192);
    expect(b.packets).toBeGreaterThan(0);
    expect(b.packets + b.drops).toBeGreaterThanOrEqual(30);

    await plug.releaseIndefinite();
    await waitFor('held datagrams', () => client.received.length - start >= b.packets);
    await sleep(500);
    const delivered = client.received.slice(start);
    expect(delivered.length).toBe(b.packets);
    // The first ones fit; later ones were dropped at the limit.
    expect(delivered).toEqual(seqs.slice(0, delivered.length));
  });

  it('setLimit changes the limit of an attached plug', async () => {
    plug = await PlugQdisc.attach({ dev: 'v0' });
    await plug.setLimit(4096);
    expect(plug.limitBytes).toBe(4096);
    await plug.buffer();
    await client.send(10, 1000);
    await sleep(500);
    const b = await backlog();
    expect(b.bytes).toBeLessThanOrEqual(4096);
    expect(b.drops).toBeGreaterThan(0);
  });

  it('detach releases what is held and restores the previous qdisc exactly', async () => {
    const before = tcShow('v0');
    plug = await PlugQdisc.attach({ dev: 'v0' });
    await plug.buffer();
    const start = client.received.length;
    const seqs = await client.send(10);
    const { drained } = await plug.detach();
    plug = undefined;
    expect(drained).toBe(true);
    await waitFor('held datagrams after detach', () => seqs.every((s) => client.received.includes(s)));
    expect(client.received.slice(start)).toEqual(seqs);
    expect(tcShow('v0')).toBe(before);
  });

  it('refuses to replace a qdisc it could not put back, and attaches under its class instead', async () => {
    sh('tc', ['qdisc', 'add', 'dev', 'v0', 'root', 'handle', '1:', 'prio']);
    const before = tcShow('v0');
    await expect(PlugQdisc.attach({ dev: 'v0' })).rejects.toMatchObject({ code: 'E_QDISC_IN_PLACE' });
    expect(tcShow('v0')).toBe(before);

    plug = await PlugQdisc.attach({ dev: 'v0', parent: '1:1', handle: '51:' });
    expect(tcShow('v0')).toMatch(/qdisc plug 51: parent 1:1/);
    await plug.detach();
    plug = undefined;
    expect(tcShow('v0')).toBe(before);
  });

  it('a second attach on the same device is refused; open() finds the first', async () => {
    plug = await PlugQdisc.attach({ dev: 'v0' });
    await expect(PlugQdisc.attach({ dev: 'v0' })).rejects.toMatchObject({ code: 'E_ALREADY_ATTACHED' });
    const again = await PlugQdisc.open({ dev: 'v0' });
    try {
      expect(again.handle).toBe(plug.handle);
      expect(again.state).toBe('pass-through');
    } finally {
      again.close();
    }
  });

  it('works in another namespace by name: a plug on v1 holds the echoes', async () => {
    plug = await PlugQdisc.attach({ dev: 'v1', netns: topo.ns });
    expect(tcShow('v1', topo.ns)).toMatch(/qdisc plug/);
    await plug.buffer();
    const start = client.received.length;
    const seqs = await client.send(5);
    await sleep(1000);
    expect(client.received.length - start).toBe(0);
    const listed = await PlugQdisc.list({ netns: topo.ns });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ dev: 'v1', netns: topo.ns, state: 'buffering' });
    expect(listed[0]!.backlog.packets).toBeGreaterThanOrEqual(5);
    await plug.detach();
    plug = undefined;
    await waitFor('echoes after detach in the namespace', () => seqs.every((s) => client.received.includes(s)));
    expect(tcShow('v1', topo.ns)).not.toMatch(/plug/);
  });

  it('a missing device and a missing namespace are typed errors', async () => {
    await expect(PlugQdisc.attach({ dev: 'nosuchdev0' })).rejects.toMatchObject({ code: 'E_NO_DEVICE' });
    await expect(PlugQdisc.attach({ dev: 'v0', netns: 'qk-does-not-exist' })).rejects.toMatchObject({ code: 'E_NO_NETNS' });
    await expect(PlugQdisc.open({ dev: 'v0' })).rejects.toMatchObject({ code: 'E_NOT_ATTACHED' });
  });
});
