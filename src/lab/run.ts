/**
 * `qplug lab run`: boots a throwaway VM on the cached image and runs one
 * command in it as root, in the caller's cwd with the caller's environment.
 *
 * Host ⇄ guest: the job (argv, env, cwd, stage 2 script) is a directory the
 * guest reads through the read-only 9p root. The command's stdout and stderr
 * and its exit status come back on three virtio-serial ports backed by files
 * in the job dir, which the host follows as they grow. The kernel console goes
 * to console.log, used only for diagnostics.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvironmentError, UsageError, signalExitCode } from '../errors.js';
import { formatSeconds } from './duration.js';
import { EXEC_PL, JOB_MODULES_SOURCE, JOB_MODULES_TARGET, JOB_PRELOAD, PORT_STATUS, PORT_STDERR, PORT_STDOUT, PRELOAD_MODULES, STAGE2 } from './guest.js';
import { cleanEnv, encodeJob, isPlainPath } from './job.js';
import { imageProblem, readManifest, type LabManifest } from './manifest.js';
import { chooseAccel, chooseCacheDir, DEFAULT_CPUS, DEFAULT_MEMORY_MB, requireQemu, requireSupportedHost, type LabAccel } from './paths.js';
import { FileTail } from './tail.js';

export { DEFAULT_CPUS, DEFAULT_MEMORY_MB };

export interface RunOptions {
  /** The command; argv[0] is looked up in the job's PATH inside the VM. */
  argv: string[];
  /** Default: process.cwd(). */
  cwd?: string;
  /** The command's complete environment. Default: process.env. */
  env?: Record<string, string | undefined>;
  memoryMb?: number;
  cpus?: number;
  /** Kill the VM after this long and return exit code 124. */
  timeoutMs?: number;
  /** Where the command's output goes. Default: process.stdout / process.stderr. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  cacheDir?: string;
  /** Kill the VM and clean up on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Keep the job dir (console.log...) for debugging. Default: $QPLUG_LAB_KEEP=1. */
  keepJob?: boolean;
}

export interface RunResult {
  /** The command's exit code; 128+N when a signal killed it; 124 on timeout. */
  exitCode: number;
  timedOut: boolean;
  /** The signal that interrupted qplug (the VM was killed), or null. */
  interrupted: NodeJS.Signals | null;
  seconds: number;
  accel: LabAccel;
  /** Set when the job dir was kept. */
  jobDir: string | null;
}

/** The image that `run` boots, or E_LAB_NOT_BUILT. */
export function requireImage(cacheDir: string): LabManifest {
  const manifest = readManifest(cacheDir);
  const problem = imageProblem(cacheDir, manifest);
  if (problem || !manifest) {
    throw new EnvironmentError('E_LAB_NOT_BUILT', `the lab image is not ready in ${cacheDir} (${problem}): run \`qplug lab build\` (or ./setup.sh) first`);
  }
  return manifest;
}

function checkSize(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`invalid ${what} ${value}: expected a whole number from ${min} to ${max}`);
  return value;
}

/** A job dir whose path the kernel command line can carry unquoted. */
function makeJobRoot(): string {
  for (const base of [tmpdir(), '/tmp', '/var/tmp']) {
    try {
      const dir = realpathSync(mkdtempSync(join(realpathSync(base), 'qplug-lab-')));
      if (isPlainPath(dir)) return dir;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* try the next base */
    }
  }
  throw new EnvironmentError('E_LAB', 'cannot create a job directory for the lab VM in $TMPDIR, /tmp or /var/tmp (or its path has spaces or odd characters); set TMPDIR to a plain writable directory');
}

/** Where /lib/modules really is on the host (merged /usr: /usr/lib/modules). */
function modulesTarget(version: string): string {
  for (const candidate of ['/lib/modules', '/lib']) {
    try {
      const real = realpathSync(candidate);
      return candidate === '/lib' ? join(real, 'modules', version) : join(real, version);
    } catch {
      /* not there */
    }
  }
  return `/lib/modules/${version}`;
}

/** QEMU option values escape ',' by doubling it. */
const opt = (value: string) => value.replace(/,/g, ',,');

export function qemuArgs(p: { accel: LabAccel; memoryMb: number; cpus: number; kernel: string; initrd: string; jobRoot: string }): string[] {
  const port = (id: string, file: string, name: string) => [
    '-chardev', `file,id=${id},path=${opt(join(p.jobRoot, file))},append=on`,
    '-device', `virtserialport,bus=vser.0,chardev=${id},name=${name}`,
  ];
  return [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    // q35 (PCIe, MSI) probes the virtio devices about twice as fast as pc under TCG.
    '-machine', 'q35',
    '-accel', p.accel === 'kvm' ? 'kvm' : 'tcg,thread=multi',
    '-cpu', p.accel === 'kvm' ? 'host' : 'max',
    '-m', String(p.memoryMb), '-smp', String(p.cpus),
    // No network device at all: the VM cannot reach anything outside.
    '-nic', 'none',
    '-kernel', p.kernel, '-initrd', p.initrd,
    '-append', `console=ttyS0 quiet loglevel=4 panic=-1 qplug.job=${p.jobRoot}/in`,
    '-chardev', `file,id=console,path=${opt(join(p.jobRoot, 'console.log'))}`, '-serial', 'chardev:console',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    // ioeventfd=off: a guest write reaches the backing file before the write
    // returns, so the exit status can never overtake the output.
    '-device', 'virtio-serial-pci,id=vser,ioeventfd=off',
    ...port('qout', 'stdout', PORT_STDOUT),
    ...port('qerr', 'stderr', PORT_STDERR),
    ...port('qstatus', 'status', PORT_STATUS),
  ];
}

function writeJob(jobRoot: string, manifest: LabManifest, cacheDir: string, argv: string[], env: Record<string, string>, cwd: string): void {
  const files = encodeJob({ argv, env, cwd });
  const dir = join(jobRoot, 'in');
  mkdirSync(dir, { mode: 0o700 });
  const put = (name: string, data: string | Buffer) => writeFileSync(join(dir, name), data, { mode: 0o600 });
  put('argv', files.argv);
  put('env', files.env);
  put('cwd', files.cwd);
  put('stage2.sh', STAGE2);
  put('exec.pl', EXEC_PL);
  put(JOB_MODULES_SOURCE, realpathSync(join(cacheDir, manifest.imageDir, manifest.files.modules)));
  put(JOB_MODULES_TARGET, modulesTarget(manifest.kernelVersion));
  put(JOB_PRELOAD, `${PRELOAD_MODULES.join('\n')}\n`);
  for (const name of ['stdout', 'stderr', 'status', 'console.log']) writeFileSync(join(jobRoot, name), '', { mode: 0o600 });
}

const KEY_LINE = /Kernel panic|qplug-lab:|BUG:|Oops|Out of memory|Killed process|Attempted to kill init|not syncing/;

/**
 * The kernel log in one line for an error message: its key lines (panic,
 * our init's complaints, OOM) when there are some, else its last lines.
 */
export function consoleTail(text: string, lines = 3, maxChars = 400): string {
  const all = text
    .replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, '')
    .split('\n')
    .map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, '').trim())
    .filter(Boolean);
  const key = all.filter((l) => KEY_LINE.test(l));
  const tail = (key.length > 0 ? key : all).slice(-lines).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}

export function parseStatus(text: string): number | null {
  const match = /^exit=(\d+)\s*$/m.exec(text);
  return match ? Number(match[1]) : null;
}

export async function runInLab(options: RunOptions): Promise<RunResult> {
  requireSupportedHost();
  const started = Date.now();
  const accel = chooseAccel();
  const qemu = requireQemu();
  const cacheDir = resolve(options.cacheDir ?? chooseCacheDir());
  const manifest = requireImage(cacheDir);
  const memoryMb = checkSize(options.memoryMb ?? DEFAULT_MEMORY_MB, '--memory (MB)', 256, 1024 * 1024);
  const cpus = checkSize(options.cpus ?? DEFAULT_CPUS, '--cpus', 1, 64);
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = cleanEnv(options.env ?? process.env);
  encodeJob({ argv: options.argv, env, cwd }); // validates before anything is created
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const keepJob = options.keepJob ?? process.env.QPLUG_LAB_KEEP === '1';

  const jobRoot = makeJobRoot();
  let tails: FileTail[] = [];
  const detachers: Array<() => void> = [];
  try {
    writeJob(jobRoot, manifest, cacheDir, options.argv, env, cwd);
    const image = join(cacheDir, manifest.imageDir);
    const args = qemuArgs({ accel, memoryMb, cpus, kernel: join(image, manifest.files.kernel), initrd: join(image, manifest.files.initrd), jobRoot });
    tails = [new FileTail(join(jobRoot, 'stdout'), stdout), new FileTail(join(jobRoot, 'stderr'), stderr)];

    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let qemuOutput = '';
    const keep = (d: Buffer) => {
      qemuOutput = (qemuOutput + d.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let timedOut = false;
    let interrupted: NodeJS.Signals | null = null;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    // The guest powers off right after reporting; if that ever hangs, the
    // result is already known, so stop the VM after a grace period.
    const statusPath = join(jobRoot, 'status');
    let statusSeenAt = 0;
    const pumpTimer = setInterval(() => {
      tails.forEach((t) => t.pump());
      if (statusSeenAt === 0 && statSync(statusPath).size > 0) statusSeenAt = Date.now();
      if (statusSeenAt > 0 && Date.now() - statusSeenAt > 10_000) kill();
    }, 20);
    detachers.push(() => clearInterval(pumpTimer));
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs);
      detachers.push(() => clearTimeout(timer));
    }
    if (options.handleSignals ?? true) {
      const onSignal = (signal: NodeJS.Signals) => {
        interrupted = signal;
        kill();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      detachers.push(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
    }

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit, rejectExit) => {
      child.once('error', (error) => rejectExit(new EnvironmentError('E_LAB', `cannot start ${qemu}: ${error.message}; reinstall qemu-system-x86`, { cause: error })));
      child.once('close', (code, signal) => resolveExit({ code, signal }));
    });
    tails.forEach((t) => t.pump());
    const seconds = (Date.now() - started) / 1000;
    const base = { timedOut: false, interrupted, seconds, accel, jobDir: keepJob ? jobRoot : null };
    if (interrupted) return { ...base, exitCode: signalExitCode(interrupted) };
    // A status means the command finished, even if the timer fired meanwhile.
    const status = parseStatus(readFileSync(statusPath, 'utf8'));
    if (status !== null) return { ...base, exitCode: status };
    if (timedOut) return { ...base, timedOut: true, exitCode: 124 };
    const consoleLog = existsSync(join(jobRoot, 'console.log')) ? readFileSync(join(jobRoot, 'console.log'), 'utf8') : '';
    const how = exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`;
    const qemuSaid = consoleTail(qemuOutput, 1, 200);
    const tail = consoleTail(consoleLog) || 'the kernel log is empty';
    throw new EnvironmentError(
      'E_LAB',
      `the lab VM stopped without reporting an exit code (qemu ${how}${qemuSaid ? `: ${qemuSaid}` : ''}); kernel log: ${tail}; the command may have crashed or powered off the VM; if \`qplug lab run -- true\` fails too, run \`qplug lab build --force\` (QPLUG_LAB_KEEP=1 keeps the console log)`,
      { details: { jobDir: keepJob ? jobRoot : null, seconds, qemuOutput: qemuOutput.slice(-2000), consoleLog: consoleLog.slice(-4000) } },
    );
  } finally {
    detachers.forEach((d) => d());
    tails.forEach((t) => t.close());
    if (!keepJob) rmSync(jobRoot, { recursive: true, force: true });
    else stderr.write(`qplug lab: job dir kept: ${jobRoot} (${formatSeconds(Date.now() - started)})\n`);
  }
}
