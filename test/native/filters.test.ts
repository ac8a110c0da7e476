/**
 * u32 filters and prio qdiscs, inside a private namespace. This kernel has no
 * sch_prio, so the filters hang off an htb root (1:) with one class, 1:10;
 * the veth pair's v0 sends to a neighbour that only exists as a static entry.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeFilter, NativeRouteSocket, NativeU32FilterOptions, NativeU32Key } from '../../src/native/AddonTypes.js';
import { addon, createNetns, hostHasSchPrio, isRoot, PrivateNetns, rejection, TC_H_ROOT } from './fixtures.js';

const HTB = 0x10000; // 1:
const CLASS = 0x10010; // 1:10
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const PEER = '10.213.0.9';
const DEFAULT_PRIOMAP = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

// The keys tc builds for "ip protocol N" and "dport P" (IPv4 header without options).
const ipProtocol = (protocol: number): NativeU32Key => ({ value: protocol << 16, mask: 0x00ff0000, offset: 8 });
const dport = (port: number): NativeU32Key => ({ value: port, mask: 0x0000ffff, offset: 20 });

const filter = (options: Partial<NativeU32FilterOptions>): NativeU32FilterOptions => ({
  priority: 10,
  protocol: ETH_P_IP,
  keys: [],
  classid: CLASS,
  ...options,
});

describe.skipIf(!isRoot)('RouteSocket u32 filters (needs root for ip netns)', () => {
  let netns: PrivateNetns;
  let socket: NativeRouteSocket;
  let v0: number;
  let v1: number;

  beforeAll(async () => {
    netns = createNetns((ns) => {
      ns.exec('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      // Both ends up: without carrier v0 would hold no qdisc of ours.
      ns.exec('ip', ['link', 'set', 'v0', 'up']);
      ns.exec('ip', ['link', 'set', 'v1', 'up']);
      ns.exec('ip', ['addr', 'add', '10.213.0.1/24', 'dev', 'v0']);
      // No ARP: a packet for PEER leaves v0 at once.
      ns.exec('ip', ['neigh', 'add', PEER, 'lladdr', '02:00:00:00:00:09', 'dev', 'v0', 'nud', 'permanent']);
      ns.exec('tc', ['qdisc', 'add', 'dev', 'v0', 'root', 'handle', '1:', 'htb']);
      ns.exec('tc', ['class', 'add', 'dev', 'v0', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '1gbit']);
    });
    socket = new (addon().RouteSocket)({ netns: netns.path });
    v0 = (await socket.getLink('v0')).ifindex;
    v1 = (await socket.getLink('v1')).ifindex;
  });

  afterEach(() => {
    // tc filter del without a priority flushes every filter of the qdisc.
    netns.exec('tc', ['filter', 'del', 'dev', 'v0', 'parent', '1:']);
  });

  afterAll(() => {
    socket?.close();
    netns?.destroy();
  });

  const tcFilters = (): string => netns.exec('tc', ['filter', 'show', 'dev', 'v0']);

  /** Packets htb has counted in class 1:10 so far. */
  const classPackets = (): number => {
    const stats = netns.exec('tc', ['-s', 'class', 'show', 'dev', 'v0', 'classid', '1:10']);
    const sent = /Sent \d+ bytes (\d+) pkt/.exec(stats);
    if (!sent) throw new Error(`no counters in: ${stats}`);
    return Number(sent[1]);
  };

  /** One UDP datagram from the namespace to PEER:port, out through v0. */
  const sendUdp = (port: number): void => {
    const sent = spawnSync('ip', ['netns', 'exec', netns.name, 'bash', '-c', `echo x > /dev/udp/${PEER}/${port}`], { encoding: 'utf8' });
    expect(sent.status, sent.stderr).toBe(0);
  };

  it('adds a u32 filter whose keys, priority and class tc shows as its own', async () => {
    await socket.addU32Filter(v0, HTB, filter({ keys: [ipProtocol(6), dport(8080)] }));
    const shown = tcFilters();
    expect(shown).toContain('filter parent 1: protocol ip pref 10 u32');
    expect(shown).toContain('match 00060000/00ff0000 at 8');
    expect(shown).toContain('match 00001f90/0000ffff at 20');
    expect(shown).toMatch(/flowid 1:10/);
  });

  it('listFilters reports the priority head, the hash table and the key node with its class', async () => {
    await socket.addU32Filter(v0, HTB, filter({ keys: [ipProtocol(6), dport(8080)] }));
    const filters = await socket.listFilters(v0, HTB);
    for (const f of filters) {
      expect(Object.keys(f).sort()).toEqual(['classid', 'handle', 'kind', 'priority', 'protocol']);
      expect(f).toMatchObject({ kind: 'u32', priority: 10, protocol: ETH_P_IP });
    }
    // As tc prints them: the head (handle 0), table 800: and node 800::800.
    expect(filters.map((f) => [f.handle, f.classid])).toEqual([
      [0, null],
      [0x80000000, null],
      [0x80000800, CLASS],
    ]);
  });

  it('sends matching packets to the class and stops there (terminal); others pass by', async () => {
    await socket.addU32Filter(v0, HTB, filter({ keys: [ipProtocol(17), dport(8080)] }));
    const before = classPackets();
    sendUdp(9090);
    expect(classPackets()).toBe(before);
    sendUdp(8080);
    sendUdp(8080);
    expect(classPackets()).toBe(before + 2);
  });

  it('with no keys matches every packet of its protocol, as tc\'s "match u32 0 0"', async () => {
    await socket.addU32Filter(v0, HTB, filter({ priority: 20, keys: [] }));
    expect(tcFilters()).toContain('match 00000000/00000000 at 0');
    const before = classPackets();
    sendUdp(9090);
    expect(classPackets()).toBe(before + 1);
  });

  it('takes the extreme priority, another protocol and negative offsets', async () => {
    await socket.addU32Filter(v0, HTB, filter({ priority: 65535, protocol: ETH_P_IPV6, keys: [{ value: 0x86dd, mask: 0xffff, offset: -4 }] }));
    expect(tcFilters()).toContain('protocol ipv6 pref 65535 u32');
    expect(tcFilters()).toContain('match 000086dd/0000ffff at -4');
    const node = (await socket.listFilters(v0, HTB)).find((f) => f.classid !== null);
    expect(node).toMatchObject({ priority: 65535, protocol: ETH_P_IPV6, classid: CLASS });
  });

  it('uses a given node handle, and refuses the same full handle again with EEXIST', async () => {
    await socket.addU32Filter(v0, HTB, filter({ handle: 5 }));
    expect(tcFilters()).toContain('fh 800::5 ');
    const node = (await socket.listFilters(v0, HTB)).find((f) => f.classid !== null) as NativeFilter;
    expect(node.handle).toBe(0x80000005);

    const error = await rejection(socket.addU32Filter(v0, HTB, filter({ handle: node.handle })));
    expect(error).toMatchObject({ code: 'EEXIST', call: 'rtnl_cls_add', errno: 17 });
    // Without a handle another node is added at the same priority.
    await socket.addU32Filter(v0, HTB, filter({}));
    expect((await socket.listFilters(v0, HTB)).filter((f) => f.classid !== null)).toHaveLength(2);
  });

  it('deleteFilters removes every element at that priority and leaves the others', async () => {
    await socket.addU32Filter(v0, HTB, filter({ priority: 1, keys: [dport(80)] }));
    await socket.addU32Filter(v0, HTB, filter({ priority: 1, keys: [dport(443)] }));
    await socket.addU32Filter(v0, HTB, filter({ priority: 2, keys: [dport(22)] }));
    await socket.deleteFilters(v0, HTB, 1, ETH_P_IP);
    expect(tcFilters()).not.toContain('pref 1 ');
    expect(tcFilters()).toContain('pref 2 ');
    expect(new Set((await socket.listFilters(v0, HTB)).map((f) => f.priority))).toEqual(new Set([2]));
    // Protocol 0 matches any.
    await socket.deleteFilters(v0, HTB, 2, 0);
    expect(await socket.listFilters(v0, HTB)).toEqual([]);
  });

  it('runs filter requests in the order they were made', async () => {
    const added = socket.addU32Filter(v0, HTB, filter({}));
    const afterAdd = socket.listFilters(v0, HTB);
    const removed = socket.deleteFilters(v0, HTB, 10, ETH_P_IP);
    const afterDelete = socket.listFilters(v0, HTB);
    await added;
    expect((await afterAdd).some((f) => f.classid === CLASS)).toBe(true);
    await removed;
    expect(await afterDelete).toEqual([]);
  });

  it('listFilters of a parent or device that is not there is empty', async () => {
    expect(await socket.listFilters(v0, 0x50000)).toEqual([]);
    expect(await socket.listFilters(v1, HTB)).toEqual([]);
    expect(await socket.listFilters(999_999, HTB)).toEqual([]);
  });

  describe('errors', () => {
    it('addU32Filter without the parent qdisc rejects with EINVAL and the kernel message', async () => {
      for (const [ifindex, parent] of [[v0, 0x50000], [v1, HTB]] as const) {
        const error = await rejection(socket.addU32Filter(ifindex, parent, filter({})));
        expect(error).toMatchObject({ code: 'EINVAL', call: 'rtnl_cls_add', errno: 22 });
        expect(error.kernelMessage).toMatch(/parent qdisc/i);
        expect(error.message).toBe(`rtnl_cls_add: Invalid input data or parameter (EINVAL): ${error.kernelMessage}`);
      }
    });

    it('addU32Filter on a missing device rejects with ENODEV', async () => {
      const error = await rejection(socket.addU32Filter(999_999, HTB, filter({})));
      expect(error).toMatchObject({ code: 'ENODEV', call: 'rtnl_cls_add' });
    });

    it('addU32Filter with another protocol at a used priority rejects with EINVAL', async () => {
      await socket.addU32Filter(v0, HTB, filter({ priority: 3 }));
      const error = await rejection(socket.addU32Filter(v0, HTB, filter({ priority: 3, protocol: ETH_P_IPV6 })));
      expect(error).toMatchObject({ code: 'EINVAL', call: 'rtnl_cls_add' });
      expect(error.kernelMessage).toMatch(/protocol mismatch/i);
    });

    it('deleteFilters of a priority with no filter rejects with ENOENT', async () => {
      // With no filter at all, the qdisc has no filter chain yet either.
      const noChain = await rejection(socket.deleteFilters(v0, HTB, 9, ETH_P_IP));
      expect(noChain).toMatchObject({ code: 'ENOENT', call: 'rtnl_cls_delete', errno: 2 });
      expect(noChain.kernelMessage).toMatch(/filter chain/i);

      await socket.addU32Filter(v0, HTB, filter({ priority: 8 }));
      const noFilter = await rejection(socket.deleteFilters(v0, HTB, 9, ETH_P_IP));
      expect(noFilter).toMatchObject({ code: 'ENOENT', call: 'rtnl_cls_delete', errno: 2 });
      expect(noFilter.kernelMessage).toMatch(/priority\/protocol not found/i);
    });

    it('deleteFilters on a missing device rejects with ENODEV', async () => {
      const error = await rejection(socket.deleteFilters(999_999, HTB, 9, 0));
      expect(error).toMatchObject({ code: 'ENODEV', call: 'rtnl_cls_delete' });
    });

    it('deleteFilters refuses to remove a filter of another kind (bpf), which stays', async () => {
      netns.exec('tc', ['filter', 'add', 'dev', 'v0', 'parent', '1:', 'protocol', 'ip', 'prio', '7', 'bpf', 'bytecode', '1,6 0 0 4294967295,', 'flowid', '1:10']);
      const listed = await socket.listFilters(v0, HTB);
      expect(listed.map((f) => [f.kind, f.priority, f.classid])).toContainEqual(['bpf', 7, null]);
      const error = await rejection(socket.deleteFilters(v0, HTB, 7, 0));
      expect(error).toMatchObject({ code: 'EINVAL', call: 'rtnl_cls_delete' });
      expect(error.kernelMessage).toMatch(/kind does not match/i);
      expect(tcFilters()).toContain('bpf');
    });
  });

  describe('addPrio', () => {
    afterEach(() => {
      // Only if a test left one behind (a kernel with sch_prio).
      if (netns.exec('tc', ['qdisc', 'show', 'dev', 'v1']).includes('prio')) netns.exec('tc', ['qdisc', 'del', 'dev', 'v1', 'root']);
    });

    it.skipIf(hostHasSchPrio)('is refused with ENOENT and the kernel message when sch_prio is missing [skipped: this kernel has sch_prio]', async () => {
      const error = await rejection(socket.addPrio(v1, TC_H_ROOT, 0x20000, 3, DEFAULT_PRIOMAP));
      expect(error).toMatchObject({ code: 'ENOENT', call: 'rtnl_qdisc_add', errno: 2 });
      expect(error.kernelMessage).toMatch(/qdisc kind is unknown/i);
      expect(error.message).toBe(`rtnl_qdisc_add: Object not found (ENOENT): ${error.kernelMessage}`);
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v1'])).not.toContain('prio');
    });

    it('over an existing root qdisc is refused with EEXIST (NLM_F_EXCL)', async () => {
      const error = await rejection(socket.addPrio(v0, TC_H_ROOT, 0x20000, 3, DEFAULT_PRIOMAP));
      expect(error).toMatchObject({ code: 'EEXIST', call: 'rtnl_qdisc_add' });
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v0'])).toMatch(/qdisc htb 1: root/);
    });

    it.skipIf(!hostHasSchPrio)('creates a prio qdisc with its bands and priomap, filters steering into a band [needs sch_prio]', async () => {
      await socket.addPrio(v1, TC_H_ROOT, 0x20000, 3, DEFAULT_PRIOMAP);
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v1'])).toMatch(/qdisc prio 2: root .*bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1/);
      await socket.addU32Filter(v1, 0x20000, filter({ classid: 0x20003 }));
      expect(netns.exec('tc', ['filter', 'show', 'dev', 'v1'])).toMatch(/flowid 2:3/);
      await socket.deleteQdisc(v1, TC_H_ROOT, 0x20000);

      const sixteen = Array.from({ length: 16 }, (_, i) => i);
      await socket.addPrio(v1, TC_H_ROOT, 0x20000, 16, sixteen);
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'v1'])).toMatch(/bands 16 priomap 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15/);
    });
  });
});
