/**
 * The CLI on this machine (no lab): help, errors, and the missing-sch_plug
 * answer. Plug attempts run in a private namespace (unshare -rn) so nothing
 * of the host is touched.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'qplug.js');

function qplug(args: string[], opts: { env?: Record<string, string>; unshare?: boolean } = {}) {
  const argv = opts.unshare ? ['unshare', '-rn', process.execPath, bin, ...args] : [process.execPath, bin, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...opts.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const probe = spawnSync('unshare', ['-rn', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'plug'], { encoding: 'utf8' });
const hostHasPlug = probe.status === 0;
const hasUnshare = probe.error === undefined;

describe('qplug CLI on this host', () => {
  it('--help lists the commands with examples, and works without the addon', () => {
    const r = qplug(['--help'], { env: { QPLUG_NATIVE_ADDON: '/nonexistent/qplug_native.node' } });
    expect(r.code).toBe(0);
    for (const c of ['attach', 'plug', 'release', 'detach', 'status', 'doctor', 'lab']) expect(r.stdout).toMatch(new RegExp(`qplug ${c}`));
    const attach = qplug(['attach', '--help']);
    expect(attach.stdout).toMatch(/Examples:/);
    expect(attach.stdout).toMatch(/--limit/);
  });

  it('without the addon a plug command names every path tried and the fix', () => {
    const r = qplug(['status'], { env: { QPLUG_NATIVE_ADDON: '/nonexistent/qplug_native.node' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/E_NATIVE_MISSING/);
    expect(r.stderr).toMatch(/\/nonexistent\/qplug_native\.node/);
    expect(r.stderr).toMatch(/setup\.sh/);
  });

  it('unknown commands and bad flags are usage errors (exit 2), one line', () => {
    const r = qplug(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const bad = qplug(['attach', 'lo', '--limit', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid limit 'lots'/);
    const handle = qplug(['attach', 'lo', '--parent', 'x:y:z']);
    expect(handle.code).toBe(2);
  });

  it.skipIf(hostHasPlug || !hasUnshare)(
    'attach on a kernel without sch_plug: exit 3, one line naming sch_plug and the lab, no stack [skipped where the host kernel has sch_plug or no unshare]',
    () => {
      const r = qplug(['attach', 'lo'], { unshare: true });
      expect(r.code).toBe(3);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/sch_plug/);
      expect(lines[0]).toMatch(/CONFIG_NET_SCH_PLUG/);
      expect(lines[0]).toMatch(/qplug lab/);
      expect(lines[0]).toMatch(/E_NO_SCH_PLUG/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      const json = qplug(['attach', 'lo', '--json'], { unshare: true });
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'E_NO_SCH_PLUG', exitCode: 3, errnoName: 'ENOENT', call: 'rtnl_qdisc_add' });
    },
  );

  it('a missing namespace is exit 4 with how to list them', () => {
    const r = qplug(['status', '--netns', 'qplug-no-such-ns']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/ip netns list/);
  });

  it.skipIf(!hasUnshare)('status in an empty private namespace says there is nothing [skipped without unshare]', () => {
    const r = qplug(['status', '--json'], { unshare: true });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
