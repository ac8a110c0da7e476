/**
 * Without CAP_NET_ADMIN over the namespace the kernel refuses changes with
 * EPERM. A child process in a fresh user namespace (mapped to nobody) has no
 * capability over the initial network namespace, so its requests on the
 * host's lo are refused before they could touch anything.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { addonPath, isRoot, repoRoot } from './fixtures.js';

const CHILD = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { RouteSocket } = require(process.argv[1]);
const describe = (error) => ({ name: error.name, message: error.message, code: error.code, errno: error.errno, call: error.call });
const out = { requests: {} };
const socket = new RouteSocket();
out.netnsInode = socket.netnsInode;
const lo = (await socket.getLink('lo')).ifindex;
const requests = {
  deleteQdisc: () => socket.deleteQdisc(lo, 0xffffffff, 0x10000),
  addPlug: () => socket.addPlug(lo, 0xffffffff, 0, 0),
  changePlug: () => socket.changePlug(lo, 0xffffffff, 0x10000, 'release_indefinite', 0),
  changePlugSync: async () => socket.changePlugSync(lo, 0xffffffff, 0x10000, 'buffer', 0),
  addPrio: () => socket.addPrio(lo, 0xffffffff, 0x10000, 3, [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]),
  addU32Filter: () => socket.addU32Filter(lo, 0x10000, { priority: 1, protocol: 0x0800, keys: [], classid: 0x10001 }),
  deleteFilters: () => socket.deleteFilters(lo, 0x10000, 1, 0x0800),
};
for (const [name, request] of Object.entries(requests)) {
  try {
    await request();
    out.requests[name] = 'succeeded';
  } catch (error) {
    out.requests[name] = describe(error);
  }
}
socket.close();
console.log(JSON.stringify(out));
`;

describe.skipIf(!isRoot)('RouteSocket without CAP_NET_ADMIN (needs root for unshare)', () => {
  it('rejects changes with EPERM, errno 1 and the call named', () => {
    const child = spawnSync(
      'unshare',
      ['--user', '--map-user=65534', process.execPath, '--input-type=module', '-e', CHILD, addonPath],
      { cwd: repoRoot, encoding: 'utf8', timeout: 15_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
      netnsInode: number;
      requests: Record<string, { code: string; errno: number; call: string; message: string } | string>;
    };
    expect(out.netnsInode).toBeGreaterThan(0);
    const calls: Record<string, string> = {
      deleteQdisc: 'rtnl_qdisc_delete',
      addPlug: 'rtnl_qdisc_add',
      changePlug: 'rtnl_qdisc_update',
      changePlugSync: 'rtnl_qdisc_update',
      addPrio: 'rtnl_qdisc_add',
      addU32Filter: 'rtnl_cls_add',
      deleteFilters: 'rtnl_cls_delete',
    };
    for (const [name, call] of Object.entries(calls)) {
      expect(out.requests[name], name).toMatchObject({ name: 'Error', code: 'EPERM', errno: 1, call });
      expect((out.requests[name] as { message: string }).message).toBe(`${call}: Operation not permitted (EPERM)`);
    }
  });
});
