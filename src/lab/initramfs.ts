/**
 * The initramfs: a gzip'd cpio (newc) with a static busybox, stage 1 as /init,
 * and just the modules needed to reach the host filesystem, in load order.
 * Written here rather than with cpio(1) so the archive needs no root (device
 * nodes) and no shell pipeline.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EnvironmentError } from '../errors.js';

/** Module name as the kernel spells it: file name without .ko*, dashes as underscores. */
export function moduleName(path: string): string {
  return basename(path).replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

/** modules.dep → relative path → its dependencies (relative paths). */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const module = line.slice(0, colon).trim();
    deps.set(module, line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
  }
  return deps;
}

/** Config symbols (CONFIG_X=y|m) from a kernel .config. */
export function parseKernelConfig(text: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (match) config.set(match[1]!, match[2]!);
  }
  return config;
}

export interface ModulePlan {
  /** Relative module paths in a valid load order (dependencies first). */
  load: string[];
  /** Wanted names that are built into the kernel. */
  builtin: string[];
}

/**
 * Which module files to load, dependencies first. A wanted module found
 * neither in modules.dep nor as built-in (modules.builtin or =y in the config)
 * is an error: the VM could not reach its root.
 */
export function planModules(wanted: string[], modulesDep: string, modulesBuiltin: string, config?: Map<string, string>, configOf: Record<string, string> = {}): ModulePlan {
  const deps = parseModulesDep(modulesDep);
  const byName = new Map<string, string>();
  for (const path of deps.keys()) byName.set(moduleName(path), path);
  const builtinNames = new Set(modulesBuiltin.split('\n').filter(Boolean).map(moduleName));
  const load: string[] = [];
  const builtin: string[] = [];
  const visit = (path: string, trail: string[]) => {
    if (load.includes(path)) return;
    if (trail.includes(path)) throw new EnvironmentError('E_LAB', `modules.dep has a dependency cycle through ${path}: the kernel package looks broken; run \`qplug lab build --force\``);
    for (const dep of deps.get(path) ?? []) visit(dep, [...trail, path]);
    load.push(path);
  };
  for (const name of wanted) {
    const key = name.replace(/-/g, '_');
    const path = byName.get(key);
    if (path) {
      visit(path, []);
      continue;
    }
    const symbol = configOf[key];
    if (builtinNames.has(key) || (symbol !== undefined && config?.get(symbol) === 'y')) {
      builtin.push(key);
      continue;
    }
    throw new EnvironmentError('E_LAB', `the kernel has no module ${name} and does not build it in: the lab needs it to reach the host filesystem; use a Debian kernel with ${symbol ?? name} (linux-image-amd64)`);
  }
  return { load, builtin };
}

export interface CpioEntry {
  name: string;
  type: 'dir' | 'file' | 'chardev';
  mode: number;
  data?: Buffer;
  rdev?: [number, number];
}

const TYPE_BITS = { dir: 0o040000, file: 0o100000, chardev: 0o020000 } as const;

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** SVR4 "newc" archive (what the kernel unpacks), owned by root, mtime 0. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Buffer, nlink: number, rdev: [number, number] = [0, 0]) => {
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], Buffer.byteLength(name) + 1, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`, 'latin1');
    parts.push(header, pad4(header.length), data, pad4(data.length));
  };
  for (const entry of entries) {
    const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    push(entry.name.replace(/^\/+/, ''), TYPE_BITS[entry.type] | (entry.mode & 0o7777), data, entry.type === 'dir' ? 2 : 1, entry.rdev);
  }
  push('TRAILER!!!', 0, Buffer.alloc(0), 1);
  return Buffer.concat(parts);
}

/** Adds every parent directory of `path` not yet in `seen`. */
function parents(path: string, seen: Set<string>, out: CpioEntry[]): void {
  const segments = path.split('/').filter(Boolean);
  for (let i = 1; i < segments.length; i++) {
    const dir = segments.slice(0, i).join('/');
    if (!seen.has(dir)) {
      seen.add(dir);
      out.push({ name: dir, type: 'dir', mode: 0o755 });
    }
  }
}

export interface InitramfsInput {
  busyboxPath: string;
  init: string;
  /** Absolute path of lib/modules/<version> in the extracted kernel. */
  modulesDir: string;
  /** Relative module paths in load order. */
  modules: string[];
}

export function buildInitramfs(input: InitramfsInput): Buffer {
  const entries: CpioEntry[] = [];
  const seen = new Set<string>();
  for (const dir of ['bin', 'dev', 'etc', 'etc/qplug', 'lib', 'lib/modules', 'proc', 'sys', 'lower', 'rw', 'newroot']) {
    seen.add(dir);
    entries.push({ name: dir, type: 'dir', mode: 0o755 });
  }
  // The kernel opens /dev/console for init's stdio before devtmpfs exists.
  entries.push({ name: 'dev/console', type: 'chardev', mode: 0o600, rdev: [5, 1] });
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(input.busyboxPath) });
  entries.push({ name: 'init', type: 'file', mode: 0o755, data: Buffer.from(input.init) });
  entries.push({ name: 'etc/qplug/modules', type: 'file', mode: 0o644, data: Buffer.from(input.modules.map((m) => `${m}\n`).join('')) });
  for (const module of input.modules) {
    const name = `lib/modules/${module}`;
    parents(name, seen, entries);
    entries.push({ name, type: 'file', mode: 0o644, data: readFileSync(`${input.modulesDir}/${module}`) });
  }
  return gzipSync(writeCpio(entries), { level: 6 });
}

/** True when the ELF file has a program interpreter, i.e. is dynamically linked. */
export function isDynamicElf(data: Buffer): boolean {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46 || data[4] !== 2) return false;
  const phoff = Number(data.readBigUInt64LE(0x20));
  const phentsize = data.readUInt16LE(0x36);
  const phnum = data.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= data.length && data.readUInt32LE(at) === 3 /* PT_INTERP */) return true;
  }
  return false;
}
