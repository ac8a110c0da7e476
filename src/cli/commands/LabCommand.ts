import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { UsageError } from '../../errors.js';
import type { buildLab, labStatus, runInLab } from '../../lab/index.js';
import { parseLabDuration } from '../../lab/duration.js';
import { DEFAULT_CPUS, DEFAULT_MEMORY_MB } from '../../lab/paths.js';
import { printJson, type GlobalArgs } from '../output.js';

interface BuildArgs extends GlobalArgs {
  force: boolean;
}

interface RunArgs extends GlobalArgs {
  memory: number;
  cpus: number;
  timeout?: string;
  command?: string[];
  '--'?: string[];
}

/** What the lab command needs from the library; tests pass fakes. */
export interface LabDeps {
  buildLab: typeof buildLab;
  runInLab: typeof runInLab;
  labStatus: () => ReturnType<typeof labStatus> | Promise<ReturnType<typeof labStatus>>;
}

/**
 * The command to run: everything after `--` untouched. Without `--` the
 * words yargs left as positionals; a later `--` then belongs to the command
 * (`qplug lab run ls -- -la` runs `ls -- -la`).
 */
export function innerCommand(argv: { command?: unknown[]; '--'?: unknown[] }): string[] {
  const before = (argv.command ?? []).map(String);
  const after = (argv['--'] ?? []).map(String);
  if (before.length === 0) return after;
  return after.length > 0 ? [...before, '--', ...after] : before;
}

export function createLabCommand(deps: LabDeps): CommandModule<object, GlobalArgs> {
  const build: CommandModule<object, BuildArgs> = {
    command: 'build',
    describe: "Download Debian's kernel package (apt-get download) and build the cached VM image",
    builder: (yargs) =>
      yargs
        .option('force', { type: 'boolean', default: false, describe: 'Rebuild even when the cached image is current' })
        .example('$0 lab build', 'build once; later calls say "cached" and return at once')
        .example('$0 lab build --force --json', 'rebuild, print a JSON summary') as never,
    handler: async (argv) => {
      const result = await deps.buildLab({ force: argv.force, onProgress: argv.json ? undefined : (line) => process.stderr.write(`${chalk.dim(line)}\n`) });
      if (argv.json) printJson(result);
    },
  };

  const run: CommandModule<object, RunArgs> = {
    command: 'run [command..]',
    describe: 'Run a command as root in a throwaway VM with sch_plug (this machine\'s files, read-only; writes vanish)',
    builder: (yargs) =>
      yargs
        // Flags of the inner command must reach it untouched (put it after --).
        .parserConfiguration({ 'populate--': true, 'unknown-options-as-args': true, 'parse-positional-numbers': false })
        .positional('command', { type: 'string', array: true, describe: 'The command and its arguments (after --)' })
        .option('memory', { type: 'number', default: DEFAULT_MEMORY_MB, describe: 'VM memory in MB' })
        .option('cpus', { type: 'number', default: DEFAULT_CPUS, describe: 'VM CPUs' })
        .option('timeout', { type: 'string', describe: 'Kill the VM after this long (e.g. 90s, 20m) and exit 124' })
        .example('$0 lab run -- tc qdisc add dev lo root plug', 'sch_plug on a kernel that has it')
        .example('$0 lab run --timeout 20m -- npx vitest run --project kernel', 'the kernel test tier')
        .example("$0 lab run -- sh -c 'ip netns add x && ip netns list'", 'a shell line (quote it for your shell)')
        .epilog('Stdin is not forwarded. The exit code is the command\'s (128+N if a signal killed it, 124 on --timeout). See docs/lab.md.') as never,
    handler: async (argv) => {
      const command = innerCommand(argv);
      if (command.length === 0) throw new UsageError('no command to run in the lab: give one after `--`, e.g. `qplug lab run -- tc qdisc show`');
      const timeoutMs = argv.timeout === undefined ? undefined : parseLabDuration(argv.timeout);
      const result = await deps.runInLab({ argv: command, memoryMb: argv.memory, cpus: argv.cpus, timeoutMs });
      if (result.timedOut) {
        process.stderr.write(`${chalk.red('qplug:')} lab: \`${command.join(' ')}\` did not finish within ${argv.timeout}; the VM was killed ${chalk.dim('[exit 124]')}\n`);
      } else if (result.interrupted) {
        process.stderr.write(`${chalk.red('qplug:')} lab: interrupted by ${result.interrupted}; the VM was killed\n`);
      }
      process.exitCode = result.exitCode;
    },
  };

  const status: CommandModule<object, GlobalArgs> = {
    command: 'status',
    describe: 'Show whether the lab image is built, where, which kernel, and whether qemu is there (no boot)',
    builder: (yargs) => yargs.example('$0 lab status', 'one line per fact').example('$0 lab status --json', 'as JSON') as never,
    handler: async (argv) => {
      const s = await deps.labStatus();
      if (argv.json) {
        printJson(s);
        return;
      }
      const yes = chalk.green('✔');
      const no = chalk.red('✘');
      process.stdout.write(
        [
          `${s.built ? yes : no} image: ${s.built ? `kernel ${s.kernelVersion} (${s.kernelPackage}), built ${s.created}` : `not built (${s.problem}); run \`qplug lab build\``}`,
          `  cache: ${s.cacheDir}`,
          `${s.qemuPath ? yes : no} qemu: ${s.qemuPath ?? 'qemu-system-x86_64 not found; apt-get install qemu-system-x86'}`,
          `  accel: ${s.accel ?? 'invalid QPLUG_LAB_ACCEL (use tcg or kvm)'}`,
        ].join('\n') + '\n',
      );
    },
  };

  return {
    command: 'lab',
    describe: "The kernel lab: run commands under Debian's kernel (with sch_plug) in a throwaway VM",
    builder: (yargs) =>
      yargs
        .command(build)
        .command(run)
        .command(status)
        .demandCommand(1, 'name a lab command: build, run or status')
        .example('$0 lab build', 'once, ~20 s')
        .example('$0 lab run -- tc -s qdisc show dev lo', 'run a command under the lab kernel') as never,
    handler: () => {},
  };
}

// The lab library (image build, VM runner) loads only when a lab command runs.
const lab = () => import('../../lab/index.js');
export const LabCommand: CommandModule<object, GlobalArgs> = createLabCommand({
  buildLab: async (...args) => (await lab()).buildLab(...args),
  runInLab: async (...args) => (await lab()).runInLab(...args),
  labStatus: async () => (await lab()).labStatus(),
});
