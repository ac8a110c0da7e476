/**
 * Requests run off the event loop, one socket serialises its own requests,
 * close() and garbage collection release the socket.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRouteSocket } from '../../src/native/AddonTypes.js';
import { addon, addonPath, createNetns, isRoot, PrivateNetns, repoRoot, TC_H_ROOT } from './fixtures.js';

describe.skipIf(!isRoot)('RouteSocket concurrency (needs root for ip netns)', () => {
  let netns: PrivateNetns;
  let socket: NativeRouteSocket;
  let v0: number;

  beforeAll(async () => {
    netns = createNetns((ns) => {
      ns.exec('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      ns.exec('tc', ['qdisc', 'add', 'dev', 'v0', 'root', 'handle', '1:', 'htb']);
    });
    socket = new (addon().RouteSocket)({ netns: netns.path });
    v0 = (await socket.getLink('v0')).ifindex;
  });

  afterAll(() => {
    socket?.close();
    netns?.destroy();
  });

  it('keeps the event loop turning while 50 listQdiscs calls run concurrently', async () => {
    let ticks = 0;
    let spinning = true;
    const spin = (): void => {
      ticks += 1;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);

    const calls = Array.from({ length: 50 }, () => socket.listQdiscs(v0));
    // Returning promises at once means nothing ran on this thread yet.
    expect(ticks).toBe(0);
    const results = await Promise.all(calls);
    spinning = false;

    expect(ticks).toBeGreaterThan(0);
    for (const qdiscs of results) {
      expect(qdiscs).toEqual(results[0]);
      expect(qdiscs.some((q) => q.kind === 'htb' && q.handle === 0x10000 && q.parent === TC_H_ROOT)).toBe(true);
    }
  });

  it('settles a mix of concurrent requests on one socket, each with its own outcome', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        switch (i % 5) {
          case 0:
            return socket.getLink('v1').then((link) => link.name);
          case 1:
            return socket.getLink(`missing${i}`);
          case 2:
            return socket.changePlug(v0, TC_H_ROOT, 0x10000, 'buffer', 0); // htb: EINVAL
          case 3:
            return socket.listLinks().then((links) => links.length);
          default:
            return socket.deleteQdisc(v0, TC_H_ROOT, 0x70000); // wrong handle: EINVAL
        }
      }),
    );
    outcomes.forEach((outcome, i) => {
      const reason = outcome.status === 'rejected' ? (outcome.reason as { code: string; call: string }) : null;
      switch (i % 5) {
        case 0:
          expect(outcome).toEqual({ status: 'fulfilled', value: 'v1' });
          break;
        case 1:
          expect(reason).toMatchObject({ code: 'ENODEV', call: 'rtnl_link_get_kernel' });
          break;
        case 2:
          expect(reason).toMatchObject({ code: 'EINVAL', call: 'rtnl_qdisc_update' });
          break;
        case 3:
          expect(outcome).toEqual({ status: 'fulfilled', value: 3 });
          break;
        default:
          expect(reason).toMatchObject({ code: 'EINVAL', call: 'rtnl_qdisc_delete' });
      }
    });
  });

  it('runs requests on one socket in the order they were made', async () => {
    const v1 = (await socket.getLink('v1')).ifindex;
    const hasHtb = (qdiscs: Array<{ kind: string }>): boolean => qdiscs.some((q) => q.kind === 'htb');
    for (let round = 0; round < 10; round += 1) {
      netns.exec('tc', ['qdisc', 'add', 'dev', 'v1', 'root', 'handle', '2:', 'htb']);
      // Nothing awaited in between: only the socket's own ordering decides.
      const before = socket.listQdiscs(v1);
      const removal = socket.deleteQdisc(v1, TC_H_ROOT, 0x20000);
      const after = socket.listQdiscs(v1);
      const second = socket.deleteQdisc(v1, TC_H_ROOT, 0x20000).then(
        () => 'deleted twice',
        (error: { code: string }) => error.code,
      );
      expect(hasHtb(await before)).toBe(true);
      await removal;
      expect(hasHtb(await after)).toBe(false);
      expect(await second).toBe('EINVAL');
    }
  });

  it('changePlugSync waits for the requests made before it', async () => {
    const v1 = (await socket.getLink('v1')).ifindex;
    netns.exec('tc', ['qdisc', 'add', 'dev', 'v1', 'root', 'handle', '2:', 'htb']);
    const removal = socket.deleteQdisc(v1, TC_H_ROOT, 0x20000);
    // Against the htb the change would fail with EINVAL; once it is gone, ENOENT.
    expect(() => socket.changePlugSync(v1, TC_H_ROOT, 0x20000, 'buffer', 0)).toThrow(
      expect.objectContaining({ code: 'ENOENT' }) as unknown as Error,
    );
    await removal;
  });

  it('changePlugSync interleaves with pending async requests', async () => {
    const pending = Array.from({ length: 10 }, () => socket.listQdiscs(0));
    expect(() => socket.changePlugSync(v0, TC_H_ROOT, 0x10000, 'release_one', 0)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }) as unknown as Error,
    );
    expect((await Promise.all(pending)).length).toBe(10);
  });

  it('close() during pending requests settles every one of them, each ok or ECLOSED', async () => {
    const doomed = new (addon().RouteSocket)({ netns: netns.path });
    const pending = Array.from({ length: 30 }, () => doomed.listQdiscs(0));
    doomed.close();
    const outcomes = await Promise.allSettled(pending);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'ECLOSED', call: 'listQdiscs' });
    }
    await expect(doomed.listQdiscs(0)).rejects.toMatchObject({ code: 'ECLOSED' });
  });
});

describe('RouteSocket lifetime', () => {
  it('frees the netlink socket of an unreferenced object, even with requests in flight', () => {
    // Needs --expose-gc, hence a child process.
    const script = `
      import { createRequire } from 'node:module';
      import { readdirSync } from 'node:fs';
      const { RouteSocket } = createRequire(import.meta.url)(process.argv[1]);
      const fds = () => readdirSync('/proc/self/fd').length;
      const settle = async () => { for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); } };
      await settle();
      const before = fds();
      const inFlight = [];
      for (let i = 0; i < 200; i++) {
        const socket = new RouteSocket();
        if (i % 10 === 0) inFlight.push(socket.listLinks());
      }
      const during = fds();
      await Promise.all(inFlight);
      await settle();
      console.log(JSON.stringify({ before, during, after: fds() }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script, addonPath], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const { before, during, after } = JSON.parse(child.stdout) as { before: number; during: number; after: number };
    expect(during).toBeGreaterThanOrEqual(before + 200);
    expect(after).toBeLessThan(before + 10);
  });
});
