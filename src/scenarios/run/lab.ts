/**
 * Where plug is missing: a scenario with plug steps runs inside the kernel
 * lab (a throwaway VM whose kernel has sch_plug). The same qplug command runs
 * in the VM with the same flags; its stdout, stderr and exit code are ours.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VariantPlan } from '../planTypes.js';

/** Set inside the VM so the inner qplug runs the scenario itself. */
export const IN_LAB_ENV = 'QPLUG_SCENARIO_IN_LAB';
const PLUG_STEPS: ReadonlySet<string> = new Set(['plug', 'release', 'release_one', 'pulse']);
const QPLUG_BIN = fileURLToPath(new URL('../../../bin/qplug.js', import.meta.url));
const PACKAGE_ROOT = dirname(dirname(QPLUG_BIN));

/** The VM mounts fresh /tmp and /run; of what lies under them only the job's cwd stays visible. */
function shadowedInLab(path: string): boolean {
  return /^\/(tmp|run)(\/|$)/.test(path);
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/**
 * A cwd, and a path for the scenario file, that the VM can see. A package
 * under /tmp (a fresh clone there) becomes the cwd; a scenario file the VM
 * would not see is copied to /var/tmp for the run.
 */
function labPaths(file: string): { cwd: string; file: string; cleanup: () => void } {
  let cwd = process.cwd();
  if (shadowedInLab(PACKAGE_ROOT) && !inside(cwd, PACKAGE_ROOT)) cwd = PACKAGE_ROOT;
  const absolute = resolve(file);
  if (!shadowedInLab(absolute) || inside(cwd, absolute)) return { cwd, file: absolute, cleanup: () => undefined };
  const dir = mkdtempSync('/var/tmp/qplug-lab-scenario-');
  const copy = join(dir, basename(absolute));
  copyFileSync(absolute, copy);
  return { cwd, file: copy, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function insideLab(): boolean {
  return process.env[IN_LAB_ENV] === '1';
}

export function usesPlug(variants: readonly VariantPlan[]): boolean {
  return variants.some((v) => v.timeline.some((s) => PLUG_STEPS.has(s.type)));
}

/** Why this scenario must run in the lab, or null when it runs here. */
export async function labReason(variants: readonly VariantPlan[], vm: boolean): Promise<string | null> {
  if (insideLab()) return null;
  if (vm) return '--vm';
  if (!usesPlug(variants)) return null;
  const { probeSchPlug } = await import('../../plug/schPlugProbe.js');
  const probe = await probeSchPlug();
  return probe.available === true ? null : `this kernel cannot plug (${probe.detail})`;
}

/** Generous: the VM is ~50x slower than this machine, and nothing here is timed. */
export function labTimeoutMs(variants: readonly VariantPlan[], repeat: number | undefined): number {
  const runs = variants.reduce((n, v) => n + (repeat ?? v.repeat), 0);
  const longest = Math.max(0, ...variants.map((v) => v.durationMs));
  return 120_000 + runs * (longest * 2 + 90_000);
}

/** Run `qplug scenario <file> <forward...>` in the lab; resolves with its exit code (124 on timeout). */
export async function runScenarioInLab(file: string, forward: readonly string[], timeoutMs: number): Promise<{ exitCode: number; timedOut: boolean; seconds: number }> {
  const { runInLab } = await import('../../lab/index.js');
  const paths = labPaths(file);
  let result;
  try {
    result = await runInLab({
      argv: [process.execPath, QPLUG_BIN, 'scenario', paths.file, ...forward],
      env: { ...process.env, [IN_LAB_ENV]: '1' },
      cwd: paths.cwd,
      timeoutMs,
    });
  } finally {
    paths.cleanup();
  }
  return { exitCode: result.exitCode, timedOut: result.timedOut, seconds: result.seconds };
}
