/**
 * Getting the kernel from Debian: resolve the image package that
 * linux-image-amd64 depends on, `apt-get download` it and `dpkg-deb -x` it.
 * Nothing is installed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { lastLine, mustRun, runTool } from './exec.js';
import { KERNEL_META_PACKAGE, requireTool } from './paths.js';

export interface KernelPackage {
  metaPackage: string;
  name: string;
  version: string;
}

/** "Depends: linux-image-6.1.0-56-amd64" from `apt-cache depends`, or null. */
export function parseImageDependency(text: string): string | null {
  for (const line of text.split('\n')) {
    const match = /^\s*\|?Depends:\s*(linux-image-\S+)/.exec(line);
    if (match && !match[1]!.startsWith('<')) return match[1]!;
  }
  return null;
}

/** "Candidate: 6.1.192-2" from `apt-cache policy`, or null for none. */
export function parseCandidate(text: string): string | null {
  const match = /^\s*Candidate:\s*(\S+)/m.exec(text);
  return match && match[1] !== '(none)' ? match[1]! : null;
}

const UPDATE_HINT = 'run `apt-get update` (as root), then `qplug lab build`';

export async function resolveKernelPackage(metaPackage = KERNEL_META_PACKAGE): Promise<KernelPackage> {
  const aptCache = requireTool('apt-cache', 'apt', 'find the Debian kernel package');
  const depends = await runTool(aptCache, ['depends', metaPackage]);
  const name = depends.code === 0 ? parseImageDependency(depends.stdout) : null;
  if (!name) {
    const why = lastLine(depends.stderr) || `${metaPackage} lists no linux-image dependency`;
    throw new EnvironmentError('E_LAB', `cannot find the kernel package: apt does not know ${metaPackage} (${why}); the package lists are missing or stale: ${UPDATE_HINT}`);
  }
  const policy = await runTool(aptCache, ['policy', name]);
  const version = policy.code === 0 ? parseCandidate(policy.stdout) : null;
  if (!version) {
    throw new EnvironmentError('E_LAB', `cannot find the kernel package: ${metaPackage} depends on ${name}, which apt cannot install (no candidate version); ${UPDATE_HINT}`);
  }
  return { metaPackage, name, version };
}

/** Downloads PACKAGE=VERSION into `dir` and returns the .deb's path. */
export async function downloadPackage(pkg: KernelPackage, dir: string): Promise<string> {
  const aptGet = requireTool('apt-get', 'apt', 'download the Debian kernel package');
  await mustRun(`apt-get download ${pkg.name}=${pkg.version}`, `check the network and apt sources, or ${UPDATE_HINT}`, aptGet, ['download', `${pkg.name}=${pkg.version}`], { cwd: dir });
  const deb = readdirSync(dir).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
  if (!deb) throw new EnvironmentError('E_LAB', `apt-get download ${pkg.name} reported success but left no .deb in ${dir}; rerun \`qplug lab build\``);
  return join(dir, deb);
}

/** Unpacks the .deb's files into `dir` (no maintainer scripts run). */
export async function extractPackage(deb: string, dir: string): Promise<void> {
  const dpkgDeb = requireTool('dpkg-deb', 'dpkg', 'unpack the kernel package');
  await mustRun(`dpkg-deb -x ${deb}`, 'check free disk space in the lab cache dir', dpkgDeb, ['-x', deb, dir]);
}

/** depmod -b ROOT VERSION: modules.dep & co. for modprobe inside the VM. */
export async function depmod(root: string, version: string): Promise<void> {
  const tool = requireTool('depmod', 'kmod', 'index the kernel modules');
  await mustRun(`depmod for ${version}`, 'install kmod (`apt-get install kmod`) and rerun `qplug lab build`', tool, ['-a', '-b', root, version]);
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
