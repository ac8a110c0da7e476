/**
 * The kernel lab: a throwaway QEMU VM running Debian's kernel (which has
 * sch_plug) over this machine's filesystem, read-only. See docs/lab.md.
 */
export { buildLab, type BuildOptions, type BuildResult } from './build.js';
export { runInLab, requireImage, DEFAULT_CPUS, DEFAULT_MEMORY_MB, type RunOptions, type RunResult } from './run.js';
export { canBootLab, labStatus, type LabStatus } from './status.js';
export { chooseAccel, chooseCacheDir, type LabAccel } from './paths.js';
export { parseLabDuration } from './duration.js';
export { PRELOAD_MODULES } from './guest.js';
