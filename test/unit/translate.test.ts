import { describe, expect, it } from 'vitest';
import { translateNativeError } from '../../src/plug/translate.js';
import { ExitCode } from '../../src/errors.js';

function nativeError(code: string, errno: number, call: string, kernelMessage?: string): Error {
  return Object.assign(new Error(`${call}: ${code}`), { code, errno, call, ...(kernelMessage ? { kernelMessage } : {}) });
}

describe('native error translation', () => {
  it('ENOENT from attach with "kind is unknown" means no sch_plug, naming the config option and the lab', () => {
    const e = translateNativeError(nativeError('ENOENT', 2, 'rtnl_qdisc_add', 'Specified qdisc kind is unknown'), { op: 'attach', dev: 'lo' });
    expect(e.code).toBe('E_NO_SCH_PLUG');
    expect(e.exitCode).toBe(ExitCode.environment);
    expect(e.message).toMatch(/CONFIG_NET_SCH_PLUG/);
    expect(e.message).toMatch(/qplug lab run/);
    expect(e.message).not.toMatch(/\n/);
    expect(e.details).toMatchObject({ errno: 2, errnoName: 'ENOENT', call: 'rtnl_qdisc_add' });
  });
  it('ENOENT from attach with another kernel message is a missing parent, not a missing sch_plug', () => {
    const e = translateNativeError(nativeError('ENOENT', 2, 'rtnl_qdisc_add', 'Failed to find specified qdisc'), { op: 'attach', dev: 'v0' });
    expect(e.code).toBe('E_NOT_ATTACHED');
    expect(e.message).toMatch(/parent/);
  });
  it('EPERM is a permission error with the remedy', () => {
    const e = translateNativeError(nativeError('EPERM', 1, 'rtnl_qdisc_add'), { op: 'attach', dev: 'lo', netnsLabel: 'lab' });
    expect(e.code).toBe('E_PERMISSION');
    expect(e.exitCode).toBe(ExitCode.permission);
    expect(e.message).toMatch(/CAP_NET_ADMIN/);
    expect(e.message).toMatch(/unshare -rn/);
    expect(e.message).toMatch(/namespace 'lab'/);
  });
  it('ENODEV names the device and how to list devices', () => {
    const e = translateNativeError(nativeError('ENODEV', 19, 'rtnl_link_get_kernel'), { op: 'buffer', dev: 'eth9', netnsLabel: 'lab' });
    expect(e.code).toBe('E_NO_DEVICE');
    expect(e.exitCode).toBe(ExitCode.notFound);
    expect(e.message).toMatch(/eth9/);
    expect(e.message).toMatch(/ip -n lab link/);
  });
  it('open errors are about the namespace', () => {
    expect(translateNativeError(nativeError('ENOENT', 2, 'open'), { op: 'open', netnsLabel: 'x' }).code).toBe('E_NO_NETNS');
    expect(translateNativeError(nativeError('EINVAL', 22, 'setns'), { op: 'open', netnsLabel: '/etc/passwd' }).code).toBe('E_NO_NETNS');
  });
  it('anything else keeps errno, call and kernel message', () => {
    const e = translateNativeError(nativeError('EBUSY', 16, 'rtnl_qdisc_delete', 'busy'), { op: 'detach', dev: 'v0' });
    expect(e.code).toBe('E_KERNEL');
    expect(e.message).toMatch(/rtnl_qdisc_delete failed with EBUSY \(errno 16\) \(kernel: busy\)/);
  });
  it('non-native errors are wrapped, not lost', () => {
    const e = translateNativeError(new TypeError('boom'), { op: 'list' });
    expect(e.code).toBe('E_KERNEL');
    expect(e.cause).toBeInstanceOf(TypeError);
  });
});
