/**
 * Links and qdiscs as seen through a socket bound to a private namespace that
 * holds a veth pair with an htb root qdisc (this kernel has no prio).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import type { NativeQdisc, NativeRouteSocket } from '../../src/native/AddonTypes.js';
import { addon, createNetns, isRoot, ownNetnsInode, PrivateNetns, TC_H_ROOT } from './fixtures.js';

const STAT_KEYS = ['bytes', 'packets', 'backlogBytes', 'backlogPackets', 'drops', 'overlimits', 'requeues'];

describe.skipIf(!isRoot)('RouteSocket links and qdiscs (needs root for ip netns)', () => {
  let netns: PrivateNetns;
  let socket: NativeRouteSocket;
  let v0: number;

  beforeAll(async () => {
    netns = createNetns((ns) => {
      ns.exec('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      ns.exec('ip', ['link', 'set', 'v0', 'up']);
      ns.exec('tc', ['qdisc', 'add', 'dev', 'v0', 'root', 'handle', '1:', 'htb']);
    });
    socket = new (addon().RouteSocket)({ netns: netns.path });
    v0 = (await socket.getLink('v0')).ifindex;
  });

  afterAll(() => {
    socket?.close();
    netns?.destroy();
  });

  it('is bound to the namespace it was opened in, and leaves the caller where it was', async () => {
    expect(socket.netns).toBe(netns.path);
    expect(socket.netnsInode).toBe(statSync(netns.path).ino);
    expect(socket.netnsInode).not.toBe(ownNetnsInode());

    const here = new (addon().RouteSocket)();
    try {
      expect(here.netns).toBeNull();
      expect(here.netnsInode).toBe(ownNetnsInode());
      // The host's own socket does not see the namespace's veth pair by index...
      const hostNames = (await here.listLinks()).map((link) => link.name);
      const privateNames = (await socket.listLinks()).map((link) => link.name).sort();
      // ...while the bound socket sees exactly the namespace's links.
      expect(privateNames).toEqual(['lo', 'v0', 'v1']);
      expect(hostNames).not.toEqual(privateNames);
    } finally {
      here.close();
    }
  });

  it('getLink by name and by index describes the same link', async () => {
    const byName = await socket.getLink('v0');
    expect(byName).toEqual({ ifindex: v0, name: 'v0', up: true, mtu: 1500, txQueueLen: expect.any(Number) });
    expect(await socket.getLink(v0)).toEqual(byName);
    const lo = await socket.getLink('lo');
    expect(lo).toMatchObject({ name: 'lo', up: false, mtu: 65536 });
  });

  it('listLinks returns plain link records', async () => {
    const links = await socket.listLinks();
    expect(links).toHaveLength(3);
    for (const link of links) {
      expect(Object.keys(link).sort()).toEqual(['ifindex', 'mtu', 'name', 'txQueueLen', 'up']);
      expect(Number.isInteger(link.ifindex) && link.ifindex > 0).toBe(true);
      expect(typeof link.up).toBe('boolean');
    }
  });

  it('listQdiscs(ifindex) shows the htb root qdisc with its handle, parent, name and numeric stats', async () => {
    const qdiscs = await socket.listQdiscs(v0);
    expect(qdiscs.every((q) => q.ifindex === v0 && q.dev === 'v0')).toBe(true);
    const htb = qdiscs.find((q) => q.kind === 'htb') as NativeQdisc;
    expect(htb).toMatchObject({ ifindex: v0, dev: 'v0', kind: 'htb', handle: 0x10000, parent: TC_H_ROOT });
    expect(Object.keys(htb.stats).sort()).toEqual([...STAT_KEYS].sort());
    for (const key of STAT_KEYS) {
      const value = htb.stats[key as keyof NativeQdisc['stats']];
      expect(Number.isInteger(value) && value >= 0, `${key} = ${value}`).toBe(true);
    }
  });

  it('listQdiscs(0) lists every device, names resolved in the namespace', async () => {
    const all = await socket.listQdiscs(0);
    expect(all.some((q) => q.dev === 'v0' && q.kind === 'htb')).toBe(true);
    for (const q of all) expect(['lo', 'v0', 'v1']).toContain(q.dev);
  });

  it('deleteQdisc removes the htb qdisc', async () => {
    expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v0'])).toContain('htb 1:');
    await socket.deleteQdisc(v0, TC_H_ROOT, 0x10000);
    expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v0'])).not.toContain('htb');
    expect((await socket.listQdiscs(v0)).some((q) => q.kind === 'htb')).toBe(false);
  });
});
