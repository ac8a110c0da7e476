/**
 * Turns Debian's compressed bzImage into an uncompressed vmlinux once, at build
 * time. Under TCG the kernel's own XZ decompressor takes ~3.5 s of every boot;
 * QEMU boots the ELF directly through its PVH entry point (CONFIG_PVH=y).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { findExecutable } from './paths.js';

/** The compressed payload inside a bzImage (boot protocol ≥ 2.08), or null. */
export function bzImagePayload(image: Buffer): Buffer | null {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') return null;
  const version = image.readUInt16LE(0x206);
  if (version < 0x208) return null;
  const setupSects = image[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + image.readUInt32LE(0x248);
  const length = image.readUInt32LE(0x24c);
  if (start + length > image.length || length === 0) return null;
  return image.subarray(start, start + length);
}

function isElf(data: Buffer): boolean {
  return data.length > 4 && data.readUInt32BE(0) === 0x7f454c46;
}

function decompressWith(tool: string, args: string[], input: Buffer): Buffer | null {
  const path = findExecutable(tool);
  if (!path) return null;
  const result = spawnSync(path, args, { input, maxBuffer: 512 * 1024 * 1024 });
  return result.status === 0 && Buffer.isBuffer(result.stdout) ? result.stdout : null;
}

/**
 * Decompresses the payload (xz via xz(1), gzip via zlib, zstd via zstd(1)).
 * The kernel build appends the 4-byte uncompressed size, which the
 * decompressors would read as a truncated second stream, so it is cut off.
 */
export function decompressPayload(payload: Buffer): Buffer | null {
  const body = payload.subarray(0, payload.length - 4);
  if (payload.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return decompressWith('xz', ['-dc'], body);
  if (payload[0] === 0x1f && payload[1] === 0x8b) {
    try {
      return gunzipSync(body);
    } catch {
      return null;
    }
  }
  if (payload.readUInt32LE(0) === 0xfd2fb528) return decompressWith('zstd', ['-dcq'], body);
  return null;
}

/**
 * Writes the uncompressed kernel to `out` and returns true, or returns false
 * when that is not possible (no PVH entry, unknown compression, missing tool):
 * then the lab boots the bzImage, ~3.5 s slower.
 */
export function extractVmlinux(bzImagePath: string, config: Map<string, string>, out: string): boolean {
  if (config.get('CONFIG_PVH') !== 'y') return false;
  const payload = bzImagePayload(readFileSync(bzImagePath));
  const vmlinux = payload ? decompressPayload(payload) : null;
  if (!vmlinux || !isElf(vmlinux)) return false;
  writeFileSync(out, vmlinux);
  return true;
}
