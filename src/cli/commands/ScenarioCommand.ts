import type { Argv, CommandModule } from 'yargs';
import chalk from 'chalk';
import { ExitCode } from '../../errors.js';
import { printJson, reportError, type GlobalArgs } from '../output.js';

interface ValidateArgs extends GlobalArgs {
  file: string[];
}

const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <file..>',
  describe: 'Check scenario files: every problem with file:line:col, exit 2 when any is wrong',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', array: true, demandOption: true, describe: 'Scenario files; a bare name not in this folder means a shipped scenario' })
      .example('$0 scenario validate mine.yaml', 'check one file')
      .example('$0 scenario validate example-freeze', 'check a shipped scenario')
      .example('$0 scenario validate scenarios/*.yaml --json', 'check several, as JSON') as never,
  handler: async (argv) => {
    const { validateScenarioFile } = await import('../../scenarios/list.js');
    const results = argv.file.map(validateScenarioFile);
    if (argv.json) printJson(results);
    for (const r of results) {
      if (r.ok && !argv.json) process.stdout.write(`${chalk.green('ok:')} ${r.file}: ${r.name} (${r.variants} variant${r.variants === 1 ? '' : 's'}, ${r.steps} step${r.steps === 1 ? '' : 's'})\n`);
      for (const problem of r.problems) process.stderr.write(`${chalk.red('qplug:')} ${problem} ${chalk.dim('[E_SCENARIO]')}\n`);
    }
    if (results.some((r) => !r.ok)) process.exitCode = 2;
  },
};

const listCommand: CommandModule<object, GlobalArgs> = {
  command: 'list',
  describe: 'The scenarios shipped with qplug: name, summary, variants',
  builder: (yargs) => yargs.example('$0 scenario list', 'what is shipped').example('$0 scenario list --json', 'as JSON') as never,
  handler: async (argv) => {
    const { listShippedScenarios } = await import('../../scenarios/list.js');
    const scenarios = listShippedScenarios();
    if (argv.json) printJson(scenarios);
    else if (scenarios.length === 0) process.stdout.write('no shipped scenarios\n');
    else {
      for (const s of scenarios) {
        const variants = s.variants.map((v) => `${v.name} (${v.role})`).join(', ');
        process.stdout.write(`${chalk.bold(s.name)}  ${s.summary}\n  ${chalk.dim(`variants: ${variants || 'none'}; file: ${s.file}`)}\n`);
        for (const problem of s.problems) process.stderr.write(`${chalk.red('qplug:')} ${problem} ${chalk.dim('[E_SCENARIO]')}\n`);
      }
    }
    if (scenarios.some((s) => s.problems.length > 0)) process.exitCode = 2;
  },
};

interface RunArgs extends GlobalArgs {
  file: string;
  repeat?: number;
  seed?: number;
  variant?: string[];
  vm: boolean;
  keepGoing: boolean;
}

/** The flags to hand to the same command inside the lab. */
function forwardedFlags(argv: RunArgs): string[] {
  const flags: string[] = [];
  if (argv.repeat !== undefined) flags.push('--repeat', String(argv.repeat));
  if (argv.seed !== undefined) flags.push('--seed', String(argv.seed));
  for (const v of argv.variant ?? []) flags.push('--variant', v);
  if (argv.keepGoing) flags.push('--keep-going');
  if (argv.json) flags.push('--json');
  if (argv.debug) flags.push('--debug');
  return flags;
}

/** Run a scenario: here, or in the lab when this kernel cannot plug (or --vm). Returns the exit code. */
async function runScenarioCommand(argv: RunArgs): Promise<number> {
  const { loadScenario, resolveScenarioPath } = await import('../../scenarios/load.js');
  const { runScenario, selectVariants } = await import('../../scenarios/run/runner.js');
  const { labReason, labTimeoutMs, runScenarioInLab } = await import('../../scenarios/run/lab.js');
  const { formatSummary, progressLine, summaryJson } = await import('../../scenarios/run/report.js');
  try {
    const plan = await loadScenario(argv.file);
    const variants = selectVariants(plan, argv.variant);
    const reason = await labReason(variants, argv.vm);
    if (reason !== null) {
      const file = plan.file ?? resolveScenarioPath(argv.file) ?? argv.file;
      if (!argv.json) process.stderr.write(`${chalk.dim(`qplug: running ${plan.name} in the kernel lab: ${reason}`)}\n`);
      const timeoutMs = labTimeoutMs(variants, argv.repeat);
      const r = await runScenarioInLab(file, forwardedFlags(argv), timeoutMs);
      if (r.timedOut) {
        process.stderr.write(`${chalk.red('qplug:')} the scenario did not finish in the lab within ${Math.round(timeoutMs / 1000)} s ${chalk.dim('[E_LAB]')}\n`);
        return ExitCode.usage;
      }
      return r.exitCode;
    }
    const summary = await runScenario(plan, {
      repeat: argv.repeat,
      seed: argv.seed,
      variants: argv.variant,
      keepGoing: argv.keepGoing,
      onEvent: (event) => {
        const line = argv.json ? null : progressLine(event);
        if (line) process.stderr.write(`${chalk.dim(line)}\n`);
      },
    });
    if (argv.json) printJson(summaryJson(summary));
    else process.stdout.write(formatSummary(summary));
    return summary.exit_code;
  } catch (error) {
    reportError(error, argv);
    // For this command every failure to run is "the scenario or the environment is wrong".
    return ExitCode.usage;
  }
}

const runCommand: CommandModule<object, RunArgs> = {
  command: '$0 <file>',
  describe: 'Run a scenario: every variant, --repeat times, and report reproduction rates',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'Scenario file; a bare name not in this folder means a shipped scenario' })
      .option('repeat', { type: 'number', describe: "Runs per variant (default: the file's repeat)" })
      .option('seed', { type: 'number', describe: 'Seed of the first run of each variant; run i uses seed + i (printed in every report)' })
      .option('variant', { type: 'string', array: true, describe: 'Run only these variants' })
      .option('vm', { type: 'boolean', default: false, describe: 'Run inside the kernel lab even if this kernel has sch_plug' })
      .option('keep-going', { type: 'boolean', default: false, describe: 'Keep running after a run fails with an error' })
      .example('$0 scenario example-freeze', 'run a shipped scenario (in the lab when this kernel has no sch_plug)')
      .example('$0 scenario mine.yaml --repeat 20 --json', 'reproduction rates as JSON')
      .example('$0 scenario mine.yaml --variant fix --seed 7', 'one variant, another seed') as never,
  handler: async (argv) => {
    process.exitCode = await runScenarioCommand(argv);
  },
};

export const ScenarioCommand: CommandModule<object, GlobalArgs> = {
  command: 'scenario',
  describe: 'Scenarios: run one (exit 0 held, 1 an expectation failed, 2 scenario/environment wrong), validate, list (docs/scenarios.md)',
  builder: (yargs: Argv<object>) =>
    yargs
      .command(validateCommand)
      .command(listCommand)
      .command(runCommand)
      .example('$0 scenario example-freeze --repeat 3', 'run a scenario')
      .example('$0 scenario validate mine.yaml', 'check a scenario file')
      .example('$0 scenario list', 'the shipped scenarios') as never,
  handler: () => {},
};
