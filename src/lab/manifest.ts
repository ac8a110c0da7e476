/**
 * manifest.json at the top of the cache dir describes the image in use. It is
 * written last, by rename, so it is the commit point of a build: a reader
 * sees the old image or the new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE1_INIT } from './guest.js';
import { MANIFEST_NAME } from './paths.js';

/** Bump when the image layout changes; older images then count as not built. */
export const LAB_FORMAT = 1;

export interface LabManifest {
  format: number;
  kernelVersion: string;
  /** e.g. linux-image-6.1.0-56-amd64 */
  package: string;
  /** e.g. 6.1.192-2 */
  packageVersion: string;
  metaPackage: string;
  debSha256: string;
  /** Directory of this image, relative to the cache dir. */
  imageDir: string;
  /** Paths relative to imageDir. */
  files: {
    kernel: string;
    /** vmlinux boots through PVH (fast); bzimage is the fallback. */
    kernelFormat: 'vmlinux-pvh' | 'bzimage';
    initrd: string;
    /** lib/modules/<version>, depmod'ed. */
    modules: string;
    config: string;
  };
  initramfsModules: string[];
  /** Hash of the stage 1 init baked into the initrd; a change needs a rebuild. */
  stage1Sha256: string;
  created: string;
}

export function stage1Hash(): string {
  return createHash('sha256').update(STAGE1_INIT).digest('hex');
}

export function readManifest(cacheDir: string): LabManifest | null {
  try {
    const value = JSON.parse(readFileSync(join(cacheDir, MANIFEST_NAME), 'utf8')) as LabManifest;
    return typeof value === 'object' && value !== null && typeof value.kernelVersion === 'string' && typeof value.files === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** Why the cached image cannot be used, or null when it can. Cheap: no hashing of big files. */
export function imageProblem(cacheDir: string, manifest: LabManifest | null): string | null {
  if (!manifest) return 'no image has been built';
  if (manifest.format !== LAB_FORMAT) return `the image has format ${manifest.format}, this qplug needs ${LAB_FORMAT}`;
  if (manifest.stage1Sha256 !== stage1Hash()) return 'the image was built by another qplug version (its init differs)';
  const dir = join(cacheDir, manifest.imageDir);
  for (const file of [manifest.files.kernel, manifest.files.initrd, join(manifest.files.modules, 'modules.dep')]) {
    if (!existsSync(join(dir, file))) return `${join(dir, file)} is missing`;
  }
  return null;
}

export function writeManifest(cacheDir: string, manifest: LabManifest): void {
  const tmp = join(cacheDir, `.${MANIFEST_NAME}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, join(cacheDir, MANIFEST_NAME));
}
