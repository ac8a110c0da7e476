/**
 * `qplug lab build`: kernel + modules + initramfs from Debian's kernel
 * package, cached. Everything is built in a temp dir inside the cache dir and
 * renamed into place; manifest.json is replaced last (the commit point).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { depmod, downloadPackage, extractPackage, resolveKernelPackage, sha256File, type KernelPackage } from './debian.js';
import { stopRunningTools } from './exec.js';
import { INITRAMFS_CONFIG, INITRAMFS_MODULES, STAGE1_INIT } from './guest.js';
import { buildInitramfs, isDynamicElf, parseKernelConfig, parseModulesDep, moduleName, planModules } from './initramfs.js';
import { extractVmlinux } from './kernel.js';
import { stripSignaturesIn } from './modsign.js';
import { imageProblem, LAB_FORMAT, readManifest, stage1Hash, writeManifest, type LabManifest } from './manifest.js';
import { chooseCacheDir, findExecutable, KERNEL_META_PACKAGE, requireSupportedHost } from './paths.js';

export interface BuildOptions {
  /** Rebuild even when the cached image is current. */
  force?: boolean;
  cacheDir?: string;
  /** One human-readable line per step (the CLI prints them on stderr). */
  onProgress?: (line: string) => void;
}

export interface BuildResult {
  /** True when nothing had to be built. */
  cached: boolean;
  cacheDir: string;
  imageDir: string;
  kernelVersion: string;
  package: string;
  packageVersion: string;
  kernelFormat: LabManifest['files']['kernelFormat'];
  initramfsModules: string[];
  created: string;
  seconds: number;
  /** Absolute paths. */
  files: { manifest: string; kernel: string; initrd: string; modules: string };
}

function resultOf(cacheDir: string, manifest: LabManifest, cached: boolean, started: number): BuildResult {
  const dir = join(cacheDir, manifest.imageDir);
  return {
    cached,
    cacheDir,
    imageDir: dir,
    kernelVersion: manifest.kernelVersion,
    package: manifest.package,
    packageVersion: manifest.packageVersion,
    kernelFormat: manifest.files.kernelFormat,
    initramfsModules: manifest.initramfsModules,
    created: manifest.created,
    seconds: (Date.now() - started) / 1000,
    files: {
      manifest: join(cacheDir, 'manifest.json'),
      kernel: join(dir, manifest.files.kernel),
      initrd: join(dir, manifest.files.initrd),
      modules: join(dir, manifest.files.modules),
    },
  };
}

function requireStaticBusybox(): string {
  const busybox = findExecutable('busybox');
  if (!busybox || isDynamicElf(readFileSync(busybox))) {
    throw new EnvironmentError('E_LAB', `${busybox ? `${busybox} is dynamically linked` : 'busybox is not installed'}: the lab's initramfs needs a static busybox; install it with \`apt-get install busybox-static\` (or run ./setup.sh)`);
  }
  return busybox;
}

/** Leftovers of builds that were killed (older than 10 minutes, so not a concurrent build). */
function removeStaleBuilds(cacheDir: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('.build-')) continue;
    const path = join(cacheDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { recursive: true, force: true });
    } catch {
      /* raced with another cleaner */
    }
  }
}

/**
 * On SIGINT/SIGTERM mid-build: stop the running tool (dpkg-deb would keep
 * writing), remove `dir`, then let the signal do its usual thing.
 */
function cleanupOnSignal(dir: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    detach();
    void stopRunningTools().finally(() => {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      process.kill(process.pid, signal);
    });
  };
  const detach = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return detach;
}

export async function buildLab(options: BuildOptions = {}): Promise<BuildResult> {
  requireSupportedHost();
  const started = Date.now();
  const say = options.onProgress ?? (() => {});
  const cacheDir = resolve(options.cacheDir ?? chooseCacheDir());
  const current = readManifest(cacheDir);
  const usable = imageProblem(cacheDir, current) === null ? current : null;

  say(`lab: resolving the kernel package (${KERNEL_META_PACKAGE})...`);
  let pkg: KernelPackage;
  try {
    pkg = await resolveKernelPackage();
  } catch (error) {
    // Offline or without apt lists, a usable image is better than an error.
    if (usable && !options.force) {
      say(`lab: ${(error as Error).message.split(';')[0]}; keeping the cached image`);
      return resultOf(cacheDir, usable, true, started);
    }
    throw error;
  }
  if (usable && !options.force && usable.package === pkg.name && usable.packageVersion === pkg.version) {
    say(`lab: cached: kernel ${usable.kernelVersion} (${usable.package} ${usable.packageVersion}) in ${cacheDir}`);
    return resultOf(cacheDir, usable, true, started);
  }

  const busybox = requireStaticBusybox();
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch (error) {
    throw new EnvironmentError('E_LAB', `cannot create the lab cache dir ${cacheDir}: ${(error as Error).message}; set QPLUG_LAB_DIR to a writable directory`, { cause: error });
  }
  removeStaleBuilds(cacheDir);
  const work = mkdtempSync(join(cacheDir, '.build-'));
  const detach = cleanupOnSignal(work);
  try {
    const download = join(work, 'download');
    const root = join(work, 'root');
    mkdirSync(download);
    say(`lab: downloading ${pkg.name} ${pkg.version} (apt-get download)...`);
    const deb = await downloadPackage(pkg, download);
    const debSha256 = await sha256File(deb);
    say('lab: extracting it (dpkg-deb -x, nothing is installed)...');
    await extractPackage(deb, root);
    const versions = existsSync(join(root, 'lib/modules')) ? readdirSync(join(root, 'lib/modules')) : [];
    const version = versions[0];
    if (versions.length !== 1 || version === undefined) {
      throw new EnvironmentError('E_LAB', `${pkg.name} has ${versions.length} module trees under /lib/modules, expected 1: not a Debian kernel image package?; rerun \`qplug lab build --force\``);
    }
    const bzImage = join(root, 'boot', `vmlinuz-${version}`);
    const configPath = join(root, 'boot', `config-${version}`);
    if (!existsSync(bzImage) || !existsSync(configPath)) {
      throw new EnvironmentError('E_LAB', `${pkg.name} lacks /boot/vmlinuz-${version} or /boot/config-${version}: not a Debian kernel image package?; rerun \`qplug lab build --force\``);
    }

    const imageName = `image-${version}-${pkg.version.replace(/[^A-Za-z0-9.+-]/g, '_')}-${Date.now().toString(36)}`;
    const image = join(work, imageName);
    const modulesRel = join('lib', 'modules', version);
    mkdirSync(join(image, 'lib', 'modules'), { recursive: true });
    renameSync(join(root, modulesRel), join(image, modulesRel));
    copyFileSync(configPath, join(image, 'config'));
    const config = parseKernelConfig(readFileSync(configPath, 'utf8'));

    if (config.get('CONFIG_MODULE_SIG_FORCE') !== 'y') {
      say('lab: stripping module signatures (checking them costs ~1 s per boot under TCG)...');
      stripSignaturesIn(join(image, modulesRel));
    }
    say(`lab: indexing the modules of ${version} (depmod)...`);
    await depmod(image, version);
    const modulesDir = join(image, modulesRel);
    const modulesDep = readFileSync(join(modulesDir, 'modules.dep'), 'utf8');
    const builtin = existsSync(join(modulesDir, 'modules.builtin')) ? readFileSync(join(modulesDir, 'modules.builtin'), 'utf8') : '';
    const hasPlug = [...parseModulesDep(modulesDep).keys()].some((p) => moduleName(p) === 'sch_plug') || config.get('CONFIG_NET_SCH_PLUG') === 'y';
    if (!hasPlug) throw new EnvironmentError('E_LAB', `${pkg.name} has no sch_plug (CONFIG_NET_SCH_PLUG is off): the lab would be useless; use a Debian kernel package that has it`);

    const plan = planModules(INITRAMFS_MODULES, modulesDep, builtin, config, INITRAMFS_CONFIG);
    say(`lab: writing the initramfs (busybox + ${plan.load.length} modules)...`);
    writeFileSync(join(image, 'initrd.img'), buildInitramfs({ busyboxPath: busybox, init: STAGE1_INIT, modulesDir, modules: plan.load }));

    say('lab: decompressing the kernel for direct (PVH) boot...');
    let kernel = 'vmlinux';
    let kernelFormat: LabManifest['files']['kernelFormat'] = 'vmlinux-pvh';
    if (!extractVmlinux(bzImage, config, join(image, kernel))) {
      say('lab: cannot decompress it here (needs CONFIG_PVH and xz); booting the compressed kernel instead (~3 s slower per run)');
      kernel = 'vmlinuz';
      kernelFormat = 'bzimage';
      copyFileSync(bzImage, join(image, kernel));
    }

    const manifest: LabManifest = {
      format: LAB_FORMAT,
      kernelVersion: version,
      package: pkg.name,
      packageVersion: pkg.version,
      metaPackage: pkg.metaPackage,
      debSha256,
      imageDir: imageName,
      files: { kernel, kernelFormat, initrd: 'initrd.img', modules: modulesRel, config: 'config' },
      initramfsModules: plan.load.map(moduleName),
      stage1Sha256: stage1Hash(),
      created: new Date().toISOString(),
    };
    writeFileSync(join(image, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(image, join(cacheDir, imageName));
    writeManifest(cacheDir, manifest);
    // Older images are unreferenced now.
    for (const name of readdirSync(cacheDir)) {
      if (name.startsWith('image-') && name !== imageName) rmSync(join(cacheDir, name), { recursive: true, force: true });
    }
    const result = resultOf(cacheDir, manifest, false, started);
    say(`lab: ready: kernel ${version} (${pkg.name} ${pkg.version}) in ${cacheDir} (${result.seconds.toFixed(1)} s)`);
    return result;
  } finally {
    detach();
    rmSync(work, { recursive: true, force: true });
  }
}
