/** The pieces of `lab build` that need no download: apt output, modules, cpio, kernel, signatures, manifest. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseCandidate, parseImageDependency } from '../../src/lab/debian.js';
import { isDynamicElf, moduleName, parseKernelConfig, planModules, writeCpio } from '../../src/lab/initramfs.js';
import { bzImagePayload, decompressPayload } from '../../src/lab/kernel.js';
import { stripSignature } from '../../src/lab/modsign.js';
import { imageProblem, LAB_FORMAT, readManifest, stage1Hash, writeManifest, type LabManifest } from '../../src/lab/manifest.js';
import { EnvironmentError } from '../../src/errors.js';

describe('apt output', () => {
  it('finds the image package linux-image-amd64 depends on', () => {
    expect(parseImageDependency('linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n')).toBe('linux-image-6.1.0-56-amd64');
    expect(parseImageDependency('linux-image-amd64\n  Depends: <linux-image-x>\n')).toBeNull();
    expect(parseImageDependency('')).toBeNull();
  });
  it('reads the candidate version', () => {
    expect(parseCandidate('linux-image-6.1.0-56-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-2\n')).toBe('6.1.192-2');
    expect(parseCandidate('x:\n  Installed: (none)\n  Candidate: (none)\n')).toBeNull();
  });
});

const DEP = [
  'kernel/fs/netfs/netfs.ko:',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/9p/9p.ko: kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko kernel/net/9p/9pnet.ko',
  'kernel/net/9p/9pnet.ko:',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  '',
].join('\n');

describe('initramfs module plan', () => {
  it('names modules like the kernel does', () => {
    expect(moduleName('kernel/net/sched/sch_plug.ko')).toBe('sch_plug');
    expect(moduleName('a/snd-hda.ko.xz')).toBe('snd_hda');
  });
  it('loads dependencies first, each once', () => {
    const plan = planModules(['virtio_console', '9p'], DEP, '');
    const idx = (m: string) => plan.load.findIndex((p) => moduleName(p) === m);
    expect(plan.load).toHaveLength(new Set(plan.load).size);
    expect(idx('virtio_ring')).toBeLessThan(idx('virtio'));
    expect(idx('virtio')).toBeLessThan(idx('virtio_console'));
    expect(idx('netfs')).toBeLessThan(idx('fscache'));
    expect(idx('fscache')).toBeLessThan(idx('9p'));
    expect(idx('9pnet')).toBeLessThan(idx('9p'));
  });
  it('skips built-ins (modules.builtin or =y) and fails on missing modules', () => {
    const config = parseKernelConfig('CONFIG_OVERLAY_FS=y\n# CONFIG_X is not set\n');
    const plan = planModules(['overlay', 'virtio_pci'], DEP, 'kernel/drivers/virtio/virtio_pci.ko\n', config, { overlay: 'CONFIG_OVERLAY_FS' });
    expect(plan.builtin.sort()).toEqual(['overlay', 'virtio_pci']);
    expect(plan.load).toEqual([]);
    expect(() => planModules(['nope'], DEP, '')).toThrow(EnvironmentError);
  });
});

const hasCpio = spawnSync('cpio', ['--version']).status === 0;

describe('cpio writer', () => {
  it.skipIf(!hasCpio)('writes a newc archive cpio(1) lists, with a device node (skipped if this host has no cpio)', () => {
    const archive = writeCpio([
      { name: 'bin', type: 'dir', mode: 0o755 },
      { name: 'bin/hello', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
      { name: 'dev', type: 'dir', mode: 0o755 },
      { name: 'dev/console', type: 'chardev', mode: 0o600, rdev: [5, 1] },
    ]);
    expect(archive.length % 4).toBe(0);
    const r = spawnSync('cpio', ['-itv', '--quiet'], { input: archive, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^drwxr-xr-x .* bin$/m);
    expect(r.stdout).toMatch(/^-rwxr-xr-x .* 18 .* bin\/hello$/m);
    expect(r.stdout).toMatch(/^crw------- .* 5, +1 .* dev\/console$/m);
  });
});

describe('kernel and module files', () => {
  it('finds and decompresses the payload of a bzImage (gzip case)', () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60, 1)]);
    const gz = gzipSync(elf);
    const payload = Buffer.concat([gz, Buffer.from([elf.length, 0, 0, 0])]);
    const image = Buffer.alloc(5 * 512 + 100 + payload.length);
    image[0x1f1] = 4;
    image.write('HdrS', 0x202, 'latin1');
    image.writeUInt16LE(0x20f, 0x206);
    image.writeUInt32LE(100, 0x248);
    image.writeUInt32LE(payload.length, 0x24c);
    payload.copy(image, 5 * 512 + 100);
    const found = bzImagePayload(image);
    expect(found?.equals(payload)).toBe(true);
    expect(decompressPayload(found!)?.equals(elf)).toBe(true);
    expect(bzImagePayload(Buffer.alloc(1024))).toBeNull();
  });
  it('strips an appended module signature and leaves unsigned modules alone', () => {
    const body = Buffer.from('\x7fELF module body');
    const sig = Buffer.alloc(256, 7);
    const info = Buffer.from([0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0]); // id_type PKCS7, sig_len 256 (BE)
    const signed = Buffer.concat([body, sig, info, Buffer.from('~Module signature appended~\n')]);
    expect(stripSignature(signed)?.equals(body)).toBe(true);
    expect(stripSignature(body)).toBeNull();
  });
  it('tells static from dynamic ELF binaries', () => {
    expect(isDynamicElf(Buffer.from('not elf'))).toBe(false);
    // Node itself links against libc; a static ELF has no PT_INTERP.
    expect(isDynamicElf(readFileSync(process.execPath))).toBe(true);
    const elf = Buffer.alloc(64);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf[4] = 2;
    expect(isDynamicElf(elf)).toBe(false);
  });
});

describe('manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qplug-lab-manifest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (over: Partial<LabManifest> = {}): LabManifest => ({
    format: LAB_FORMAT, kernelVersion: '6.1.0-1-amd64', package: 'linux-image-6.1.0-1-amd64', packageVersion: '6.1.1-1', metaPackage: 'linux-image-amd64',
    debSha256: 'x', imageDir: 'image-a', initramfsModules: [], stage1Sha256: stage1Hash(), created: 'now',
    files: { kernel: 'vmlinux', kernelFormat: 'vmlinux-pvh', initrd: 'initrd.img', modules: 'lib/modules/6.1.0-1-amd64', config: 'config' },
    ...over,
  });

  it('is "not built" until the manifest and its files exist, and for other formats or inits', () => {
    expect(imageProblem(dir, readManifest(dir))).toMatch(/no image/);
    writeManifest(dir, manifest());
    expect(imageProblem(dir, readManifest(dir))).toMatch(/missing/);
    mkdirSync(join(dir, 'image-a/lib/modules/6.1.0-1-amd64'), { recursive: true });
    for (const f of ['vmlinux', 'initrd.img', 'lib/modules/6.1.0-1-amd64/modules.dep']) writeFileSync(join(dir, 'image-a', f), '');
    expect(imageProblem(dir, readManifest(dir))).toBeNull();
    expect(imageProblem(dir, manifest({ format: LAB_FORMAT + 1 }))).toMatch(/format/);
    expect(imageProblem(dir, manifest({ stage1Sha256: 'old' }))).toMatch(/another qplug/);
    writeFileSync(join(dir, 'manifest.json'), '{broken');
    expect(readManifest(dir)).toBeNull();
  });
});
