/**
 * Error translation against this host's kernel, inside a private namespace.
 * The host has no sch_plug, so adding a plug qdisc is refused by the kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRouteSocket } from '../../src/native/AddonTypes.js';
import { addon, createNetns, hostHasSchPlug, isRoot, ownNetnsInode, PrivateNetns, rejection, TC_H_ROOT, thrown } from './fixtures.js';

/** Every structured error carries these, and its message names them. */
function expectStructured(error: Error & { code: string; errno: number; call: string }, code: string, call: string): void {
  expect(error).toBeInstanceOf(Error);
  expect(error.code).toBe(code);
  expect(error.call).toBe(call);
  expect(Number.isInteger(error.errno) && error.errno > 0).toBe(true);
  expect(error.message).toContain(`${call}: `);
  expect(error.message).toContain(`(${code})`);
  expect(error.message).not.toContain('\n');
}

describe.skipIf(!isRoot)('RouteSocket errors (needs root for ip netns)', () => {
  let netns: PrivateNetns;
  let socket: NativeRouteSocket;
  let lo: number;

  beforeAll(async () => {
    netns = createNetns();
    socket = new (addon().RouteSocket)({ netns: netns.path });
    lo = (await socket.getLink('lo')).ifindex;
  });

  afterAll(() => {
    socket?.close();
    netns?.destroy();
  });

  it('reports the libnl version it was built against', () => {
    expect(addon().libnlVersion).toMatch(/^3\.\d+\.\d+$/);
  });

  it.skipIf(hostHasSchPlug)('addPlug is refused with ENOENT and the kernel message when sch_plug is missing [skipped: this kernel has sch_plug]', async () => {
    for (const limitBytes of [0, 100_000]) {
      const settled = await socket.addPlug(lo, TC_H_ROOT, 0x10000, limitBytes).then(
        () => null,
        (error: unknown) => error as Error & { code: string; errno: number; call: string; kernelMessage?: string },
      );
      if (settled === null) {
        await socket.deleteQdisc(lo, TC_H_ROOT, 0x10000);
        throw new Error('addPlug succeeded although the probe found no sch_plug');
      }
      expectStructured(settled, 'ENOENT', 'rtnl_qdisc_add');
      expect(settled.errno).toBe(2);
      expect(settled.kernelMessage).toMatch(/qdisc kind is unknown/i);
      expect(settled.message).toBe(`rtnl_qdisc_add: Object not found (ENOENT): ${settled.kernelMessage}`);
    }
    expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'lo'])).not.toContain('plug');
  });

  it('getLink of a missing device rejects with ENODEV, by name and by index', async () => {
    const byName = await rejection(socket.getLink('nonexistent0'));
    expectStructured(byName, 'ENODEV', 'rtnl_link_get_kernel');
    expect(byName.errno).toBe(19);
    const byIndex = await rejection(socket.getLink(999_999));
    expectStructured(byIndex, 'ENODEV', 'rtnl_link_get_kernel');
  });

  it('changePlug on a missing qdisc rejects with ENOENT and never creates one', async () => {
    const error = await rejection(socket.changePlug(lo, TC_H_ROOT, 0x20000, 'release_indefinite', 0));
    expectStructured(error, 'ENOENT', 'rtnl_qdisc_update');
    expect(error.kernelMessage).toBeTypeOf('string');
    expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'lo'])).not.toContain('plug');
  });

  it('deleteQdisc of a handle that is not there rejects with EINVAL and the kernel message', async () => {
    const error = await rejection(socket.deleteQdisc(lo, TC_H_ROOT, 0x30000));
    expectStructured(error, 'EINVAL', 'rtnl_qdisc_delete');
    expect(error.kernelMessage).toMatch(/handle/i);
  });

  describe('against an existing qdisc of another kind (htb)', () => {
    beforeAll(() => {
      netns.exec('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb']);
    });
    afterAll(() => {
      netns.exec('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
    });

    it('changePlug rejects with EINVAL and the kernel message, leaving the qdisc alone', async () => {
      for (const action of ['buffer', 'release_one', 'release_indefinite', 'limit'] as const) {
        const error = await rejection(socket.changePlug(lo, TC_H_ROOT, 0x10000, action, 4096));
        expectStructured(error, 'EINVAL', 'rtnl_qdisc_update');
        expect(error.errno).toBe(22);
        expect(error.kernelMessage).toMatch(/qdisc name/i);
        expect(error.message).toContain(error.kernelMessage);
      }
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'lo'])).toMatch(/qdisc htb 1: root/);
    });

    it('changePlugSync exists and throws the same structured error synchronously', () => {
      expect(socket.changePlugSync).toBeTypeOf('function');
      const error = thrown(() => socket.changePlugSync(lo, TC_H_ROOT, 0x10000, 'buffer', 0));
      expectStructured(error, 'EINVAL', 'rtnl_qdisc_update');
      expect(error.kernelMessage).toMatch(/qdisc name/i);
    });

    it('addPlug over it is refused with EEXIST (NLM_F_EXCL), not a replacement', async () => {
      for (const handle of [0x10000, 0x20000]) {
        const error = await rejection(socket.addPlug(lo, TC_H_ROOT, handle, 0));
        expectStructured(error, 'EEXIST', 'rtnl_qdisc_add');
      }
      expect(netns.exec('tc', ['qdisc', 'show', 'dev', 'lo'])).toMatch(/qdisc htb 1: root/);
    });
  });

  describe('construction', () => {
    it('a missing namespace path throws ENOENT from open, naming the path', () => {
      const before = ownNetnsInode();
      const error = thrown(() => new (addon().RouteSocket)({ netns: '/run/netns/does-not-exist' }));
      expectStructured(error, 'ENOENT', 'open');
      expect(error.errno).toBe(2);
      expect(error.message).toContain('/run/netns/does-not-exist');
      expect(ownNetnsInode()).toBe(before);
    });

    it('a file that is no namespace throws EINVAL from setns', () => {
      const before = ownNetnsInode();
      for (const path of ['/etc/hostname', '/proc/self/ns/uts', '/']) {
        const error = thrown(() => new (addon().RouteSocket)({ netns: path }));
        expectStructured(error, 'EINVAL', 'setns');
      }
      expect(ownNetnsInode()).toBe(before);
    });
  });
});
