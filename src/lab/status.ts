/** Cheap questions about the lab, for `qplug lab status` and `qplug doctor`. */
import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { imageProblem, readManifest } from './manifest.js';
import { chooseAccel, chooseCacheDir, findQemu, type LabAccel } from './paths.js';
import { runInLab } from './run.js';

export interface LabStatus {
  built: boolean;
  cacheDir: string;
  kernelVersion: string | null;
  qemuPath: string | null;
  /** 'tcg' unless QPLUG_LAB_ACCEL=kvm; null when that variable is invalid. */
  accel: LabAccel | null;
  /** e.g. "linux-image-6.1.0-56-amd64 6.1.192-2", null when not built. */
  kernelPackage: string | null;
  created: string | null;
  /** Why the image is not usable, null when built. */
  problem: string | null;
}

/** No boot, no apt: reads the manifest and looks for qemu. */
export function labStatus(options: { cacheDir?: string } = {}): LabStatus {
  const cacheDir = resolve(options.cacheDir ?? chooseCacheDir());
  const manifest = readManifest(cacheDir);
  const problem = imageProblem(cacheDir, manifest);
  let accel: LabAccel | null;
  try {
    accel = chooseAccel();
  } catch {
    accel = null;
  }
  return {
    built: problem === null,
    cacheDir,
    kernelVersion: manifest?.kernelVersion ?? null,
    qemuPath: findQemu(),
    accel,
    kernelPackage: manifest ? `${manifest.package} ${manifest.packageVersion}` : null,
    created: manifest?.created ?? null,
    problem,
  };
}

class Discard extends Writable {
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

/** Boots the lab once running `true` (for doctor). Never throws. */
export async function canBootLab(options: { cacheDir?: string; timeoutMs?: number } = {}): Promise<{ ok: boolean; seconds: number; error?: string }> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    const result = await runInLab({
      argv: ['true'],
      cwd: '/',
      cacheDir: options.cacheDir,
      timeoutMs: options.timeoutMs ?? 60_000,
      stdout: new Discard(),
      stderr: new Discard(),
      handleSignals: false,
      keepJob: false,
    });
    if (result.timedOut) return { ok: false, seconds: seconds(), error: `the VM did not finish \`true\` within ${((options.timeoutMs ?? 60_000) / 1000).toFixed(0)} s` };
    if (result.exitCode !== 0) return { ok: false, seconds: seconds(), error: `\`true\` exited ${result.exitCode} inside the VM` };
    return { ok: true, seconds: seconds() };
  } catch (error) {
    return { ok: false, seconds: seconds(), error: error instanceof Error ? error.message : String(error) };
  }
}
