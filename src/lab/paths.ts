/**
 * Where the lab keeps things and which host tools it uses. Pure functions take
 * their inputs (env, uid, home) as arguments so they can be unit-tested.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { findOnPath, isExecutableFile } from '../executables.js';

export const DEFAULT_MEMORY_MB = 2048;
export const DEFAULT_CPUS = 2;

/** The Debian meta package whose dependency names the kernel image we use. */
export const KERNEL_META_PACKAGE = 'linux-image-amd64';
export const QEMU_BINARY = 'qemu-system-x86_64';
export const QEMU_APT_PACKAGE = 'qemu-system-x86';
export const MANIFEST_NAME = 'manifest.json';

export interface CacheDirInputs {
  env: Record<string, string | undefined>;
  /** -1 where unknown (not POSIX). */
  uid: number;
  home: string;
}

function currentInputs(): CacheDirInputs {
  return { env: process.env, uid: typeof process.getuid === 'function' ? process.getuid() : -1, home: homedir() };
}

/**
 * $QPLUG_LAB_DIR, else /var/cache/qplug/lab for root, else the XDG cache
 * ($XDG_CACHE_HOME or ~/.cache) + qplug/lab.
 */
export function chooseCacheDir(inputs: CacheDirInputs = currentInputs()): string {
  const explicit = inputs.env.QPLUG_LAB_DIR;
  if (explicit) return explicit;
  if (inputs.uid === 0) return '/var/cache/qplug/lab';
  const xdg = inputs.env.XDG_CACHE_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(inputs.home, '.cache');
  return join(base, 'qplug', 'lab');
}

export type LabAccel = 'tcg' | 'kvm';

/** TCG unless QPLUG_LAB_ACCEL=kvm: KVM hangs on some hosts (nested virtualisation). */
export function chooseAccel(env: Record<string, string | undefined> = process.env): LabAccel {
  const value = (env.QPLUG_LAB_ACCEL ?? '').trim().toLowerCase();
  if (value === '' || value === 'tcg') return 'tcg';
  if (value === 'kvm') return 'kvm';
  throw new EnvironmentError('E_LAB', `QPLUG_LAB_ACCEL='${env.QPLUG_LAB_ACCEL}' is not supported: it must be 'tcg' (the default) or 'kvm'; unset it or fix the value`);
}

/**
 * First `name` on PATH. The sbin directories are searched too because depmod
 * lives there and non-root PATHs often lack them.
 */
export function findExecutable(name: string, pathEnv: string | undefined = process.env.PATH): string | null {
  return findOnPath(name, pathEnv, ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']);
}

/** $QPLUG_LAB_QEMU when set (null if it is not executable), else qemu-system-x86_64 on PATH. */
export function findQemu(env: Record<string, string | undefined> = process.env): string | null {
  const explicit = env.QPLUG_LAB_QEMU;
  if (explicit) return isExecutableFile(explicit) ? explicit : null;
  return findExecutable(QEMU_BINARY, env.PATH);
}

export function requireQemu(): string {
  const qemu = findQemu();
  if (!qemu && process.env.QPLUG_LAB_QEMU) {
    throw new EnvironmentError('E_LAB', `QPLUG_LAB_QEMU=${process.env.QPLUG_LAB_QEMU} is not an executable file: the lab boots its VM with it; fix or unset QPLUG_LAB_QEMU (default: ${QEMU_BINARY} from the ${QEMU_APT_PACKAGE} package)`);
  }
  if (!qemu) {
    throw new EnvironmentError('E_LAB', `${QEMU_BINARY} is not installed: the lab boots its kernel in QEMU; install it with \`apt-get install ${QEMU_APT_PACKAGE}\` (or run ./setup.sh)`);
  }
  return qemu;
}

export function requireTool(name: string, aptPackage: string, why: string): string {
  const path = findExecutable(name);
  if (!path) throw new EnvironmentError('E_LAB', `${name} is not installed: the lab build needs it to ${why}; install it with \`apt-get install ${aptPackage}\` (or run ./setup.sh)`);
  return path;
}

/** The lab runs Debian's amd64 kernel; it can only do that on x86-64 Linux. */
export function requireSupportedHost(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new EnvironmentError('E_LAB', `the lab needs an x86-64 Linux host (this is ${process.platform}/${process.arch}): it boots Debian's amd64 kernel; use a Debian x86-64 machine or CI runner`);
  }
}
