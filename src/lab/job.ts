/**
 * What the VM should run, as files in a job directory the guest reads through
 * the read-only 9p root. Strings travel as raw bytes (NUL-terminated lists),
 * never through a shell, so quotes, newlines and `$` arrive unchanged.
 */
import { isAbsolute } from 'node:path';
import { UsageError } from '../errors.js';

export interface LabJob {
  argv: string[];
  /** The complete environment of the command (nothing is added). */
  env: Record<string, string>;
  /** Absolute working directory. */
  cwd: string;
}

/** File name → content. `argv` and `env` are NUL-terminated lists; `cwd` is the bare path. */
export type JobFiles = Record<'argv' | 'env' | 'cwd', Buffer>;

function nulList(items: string[]): Buffer {
  return Buffer.concat(items.map((item) => Buffer.from(`${item}\0`, 'utf8')));
}

/** Inverse of the list encoding; used by tests and diagnostics. */
export function decodeNulList(data: Buffer | string): string[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text === '') return [];
  const items = text.split('\0');
  // Every item is terminated, so the split leaves one empty string at the end.
  items.pop();
  return items;
}

/** Drops undefined values (process.env's type allows them). */
export function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

export function validateJob(job: LabJob): void {
  if (job.argv.length === 0 || job.argv[0] === '') {
    throw new UsageError('no command to run in the lab: give one after `--`, e.g. `qplug lab run -- tc qdisc show`');
  }
  for (const arg of job.argv) {
    if (arg.includes('\0')) throw new UsageError('a command argument contains a NUL byte, which no program can receive: remove it');
  }
  for (const [key, value] of Object.entries(job.env)) {
    // Such entries cannot exist in a real environment; refuse rather than mangle.
    if (key === '' || key.includes('=') || key.includes('\0') || value.includes('\0')) {
      throw new UsageError(`environment variable ${JSON.stringify(key)} cannot be passed to the lab: names must be non-empty without '=' and nothing may contain NUL`);
    }
  }
  if (!isAbsolute(job.cwd) || job.cwd.includes('\0')) {
    throw new UsageError(`the working directory must be an absolute path, got ${JSON.stringify(job.cwd)}`);
  }
}

export function encodeJob(job: LabJob): JobFiles {
  validateJob(job);
  return {
    argv: nulList(job.argv),
    env: nulList(Object.entries(job.env).map(([key, value]) => `${key}=${value}`)),
    cwd: Buffer.from(job.cwd, 'utf8'),
  };
}

export function decodeJob(files: JobFiles): LabJob {
  const env: Record<string, string> = {};
  for (const entry of decodeNulList(files.env)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { argv: decodeNulList(files.argv), env, cwd: files.cwd.toString('utf8') };
}

/**
 * Path characters the kernel command line and our init scripts take without
 * quoting. The job dir's path travels on the kernel command line.
 */
export function isPlainPath(path: string): boolean {
  return /^\/[A-Za-z0-9._/+@%-]*$/.test(path) && !path.includes('//');
}
