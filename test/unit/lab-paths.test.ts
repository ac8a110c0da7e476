/** Lab settings: cache dir choice, accelerator, --timeout parsing, qemu lookup, qemu argv. */
import { describe, expect, it } from 'vitest';
import { chooseAccel, chooseCacheDir, findQemu } from '../../src/lab/paths.js';
import { parseLabDuration } from '../../src/lab/duration.js';
import { consoleTail, parseStatus, qemuArgs } from '../../src/lab/run.js';
import { EnvironmentError, UsageError } from '../../src/errors.js';

describe('lab cache dir', () => {
  const home = '/home/ann';
  it('$QPLUG_LAB_DIR wins for everyone', () => {
    expect(chooseCacheDir({ env: { QPLUG_LAB_DIR: '/srv/lab' }, uid: 0, home })).toBe('/srv/lab');
    expect(chooseCacheDir({ env: { QPLUG_LAB_DIR: '/srv/lab', XDG_CACHE_HOME: '/x' }, uid: 1000, home })).toBe('/srv/lab');
  });
  it('root uses /var/cache/qplug/lab', () => {
    expect(chooseCacheDir({ env: { XDG_CACHE_HOME: '/x' }, uid: 0, home: '/root' })).toBe('/var/cache/qplug/lab');
  });
  it('others use $XDG_CACHE_HOME, else ~/.cache; a relative XDG_CACHE_HOME is ignored', () => {
    expect(chooseCacheDir({ env: { XDG_CACHE_HOME: '/x/cache' }, uid: 1000, home })).toBe('/x/cache/qplug/lab');
    expect(chooseCacheDir({ env: {}, uid: 1000, home })).toBe('/home/ann/.cache/qplug/lab');
    expect(chooseCacheDir({ env: { XDG_CACHE_HOME: 'rel' }, uid: 1000, home })).toBe('/home/ann/.cache/qplug/lab');
    expect(chooseCacheDir({ env: { QPLUG_LAB_DIR: '' }, uid: 1000, home })).toBe('/home/ann/.cache/qplug/lab');
  });
});

describe('lab accelerator', () => {
  it('is TCG unless QPLUG_LAB_ACCEL=kvm', () => {
    expect(chooseAccel({})).toBe('tcg');
    expect(chooseAccel({ QPLUG_LAB_ACCEL: 'TCG' })).toBe('tcg');
    expect(chooseAccel({ QPLUG_LAB_ACCEL: 'kvm' })).toBe('kvm');
    expect(() => chooseAccel({ QPLUG_LAB_ACCEL: 'hvf' })).toThrow(EnvironmentError);
  });
  it('TCG runs on q35 with -cpu max; KVM with -cpu host; never a NIC, never KVM by default', () => {
    const base = { memoryMb: 2048, cpus: 2, kernel: '/k', initrd: '/i', jobRoot: '/tmp/qplug-lab-x' };
    const tcg = qemuArgs({ ...base, accel: 'tcg' }).join(' ');
    expect(tcg).toMatch(/-accel tcg,thread=multi -cpu max/);
    expect(tcg).toMatch(/-nic none/);
    expect(tcg).toMatch(/-no-reboot/);
    expect(tcg).not.toMatch(/kvm/);
    expect(tcg).toMatch(/readonly=on/);
    expect(tcg).toMatch(/qplug\.job=\/tmp\/qplug-lab-x\/in/);
    expect(qemuArgs({ ...base, accel: 'kvm' }).join(' ')).toMatch(/-accel kvm -cpu host/);
  });
  it('escapes commas in QEMU option values', () => {
    const args = qemuArgs({ memoryMb: 512, cpus: 1, kernel: '/k', initrd: '/i', jobRoot: '/tmp/a,b', accel: 'tcg' });
    expect(args).toContain('file,id=console,path=/tmp/a,,b/console.log');
  });
});

describe('--timeout durations', () => {
  it('takes ms, s, m, h and bare seconds', () => {
    expect(parseLabDuration('1s')).toBe(1000);
    expect(parseLabDuration('500ms')).toBe(500);
    expect(parseLabDuration('1.5s')).toBe(1500);
    expect(parseLabDuration('20m')).toBe(1_200_000);
    expect(parseLabDuration('1h')).toBe(3_600_000);
    expect(parseLabDuration('90')).toBe(90_000);
    expect(parseLabDuration(' 2 s ')).toBe(2000);
    expect(parseLabDuration(3)).toBe(3000);
  });
  it('refuses zero, negatives, junk and absurd values with a usage error', () => {
    for (const bad of ['0', '0s', '-1s', 'abc', '1d', '', '1 2s', '30 days', '9999h']) {
      expect(() => parseLabDuration(bad), bad).toThrow(UsageError);
    }
    expect(() => parseLabDuration('abc')).toThrow(/e\.g\.|such as/);
  });
});

describe('qemu lookup', () => {
  it('QPLUG_LAB_QEMU overrides PATH, and a bad value means "not found"', () => {
    expect(findQemu({ QPLUG_LAB_QEMU: '/nonexistent/qemu' })).toBeNull();
    expect(findQemu({ QPLUG_LAB_QEMU: process.execPath })).toBe(process.execPath);
  });
});

describe('guest reports', () => {
  it('reads the exit status line', () => {
    expect(parseStatus('exit=0\n')).toBe(0);
    expect(parseStatus('exit=137\n')).toBe(137);
    expect(parseStatus('')).toBeNull();
    expect(parseStatus('exit=\n')).toBeNull();
  });
  it('summarises the kernel log on one line, preferring panics and our init messages', () => {
    const log = '[    1.0] a\r\n[    2.0] Kernel panic - not syncing: Attempted to kill init!\r\n[    2.1] R13: 0\r\n[    2.2] </TASK>\r\n';
    const tail = consoleTail(log);
    expect(tail).toMatch(/Kernel panic/);
    expect(tail).not.toMatch(/\n/);
    expect(consoleTail('[ 1.0] x\n[ 2.0] y\n[ 3.0] z\n[ 4.0] w\n')).toBe('y | z | w');
    expect(consoleTail('')).toBe('');
  });
});
