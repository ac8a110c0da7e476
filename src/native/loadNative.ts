/**
 * The only module that loads the compiled addon. Commands that need no kernel
 * (--help, scenario validation, the lab) never call it.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../errors.js';
import type { NativeAddon } from './AddonTypes.js';

const require = createRequire(import.meta.url);
const ADDON_FILE = 'qplug_native.node';

/** The package root: two levels up from dist/native or src/native. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Every place a build can leave the addon, in search order. */
export function addonCandidates(root = packageRoot()): string[] {
  // When set, the only place to look (tests and unusual installs).
  const fromEnv = process.env.QPLUG_NATIVE_ADDON;
  if (fromEnv) return [resolve(fromEnv)];
  return [
    join(root, 'build', 'Release', ADDON_FILE),
    join(root, 'build', 'Debug', ADDON_FILE),
    join(root, 'build', ADDON_FILE),
  ];
}

let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const tried: string[] = [];
  let lastError: unknown;
  for (const candidate of addonCandidates()) {
    tried.push(candidate);
    if (!existsSync(candidate)) continue;
    try {
      cached = require(candidate) as NativeAddon;
      return cached;
    } catch (error) {
      lastError = error;
    }
  }
  const why = lastError instanceof Error ? `loading failed: ${lastError.message.split('\n')[0]}` : 'no file exists';
  throw new EnvironmentError(
    'E_NATIVE_MISSING',
    `the native addon ${ADDON_FILE} could not be loaded (${why}; tried ${tried.join(', ')}): run \`./setup.sh\`, or \`npm run build:native\` after installing libnl-3-dev and libnl-route-3-dev`,
    { cause: lastError, details: { tried } },
  );
}

/** True when the addon loads; never throws. */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}
