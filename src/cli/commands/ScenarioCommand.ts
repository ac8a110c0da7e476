import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import chalk from 'chalk';
import { ExitCode, UsageError } from '../../errors.js';
import type { ScenarioPlan, VariantPlan } from '../../scenarios/planTypes.js';
import type { ScenarioEvent, ScenarioSummary } from '../../scenarios/run/events.js';
import { printJson, reportError, type GlobalArgs } from '../output.js';
import type { LiveViewHandle } from '../scenario/LiveView.js';

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
        const needs = s.requires.commands.length === 0 ? '' : `; needs ${s.requires.commands.join(', ')}${s.requires.missing.length ? ` (missing here: ${s.requires.missing.join(', ')})` : ''}`;
        process.stdout.write(`${chalk.bold(s.name)}  ${s.summary}\n  ${chalk.dim(`variants: ${variants || 'none'}; file: ${s.file}${needs}`)}\n`);
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
  report?: string;
  /** false with --no-live: plain progress lines even on a terminal. */
  live: boolean;
  /** Hidden: set by the qplug outside the lab for the one inside (see scenarios/run/lab.ts). */
  eventStream: boolean;
}

type ScenarioModules = {
  runner: typeof import('../../scenarios/run/runner.js');
  lab: typeof import('../../scenarios/run/lab.js');
};

/** --report's path, checked before the run: its folder must exist. */
function reportPath(path: string): string {
  const file = resolve(path);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`--report ${path}: is a directory; give a file name such as ${join(path, 'report.html')}`);
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--report ${path}: the folder ${dir} does not exist; create it or choose another path`);
  return file;
}

/** The run options the flags give, here and (as flags again) in the lab. */
const runOptions = (argv: RunArgs) => ({ repeat: argv.repeat, seed: argv.seed, variants: argv.variant, keepGoing: argv.keepGoing });

/** Inside the lab: run here and write every event to stdout for the qplug outside, and nothing else. */
async function streamEvents(plan: ScenarioPlan, argv: RunArgs, m: ScenarioModules): Promise<number> {
  const summary = await m.runner.runScenario(plan, { ...runOptions(argv), lab: 'never', onEvent: (event) => process.stdout.write(m.lab.encodeEvent(event)) });
  return summary.exit_code;
}

/** Run a scenario: here, or in the lab when this kernel cannot plug (or --vm). Returns the exit code. */
async function runScenarioCommand(argv: RunArgs): Promise<number> {
  const { loadScenario, resolveScenarioPath } = await import('../../scenarios/load.js');
  const m: ScenarioModules = { runner: await import('../../scenarios/run/runner.js'), lab: await import('../../scenarios/run/lab.js') };
  const { formatSummary, progressLine, summaryJson } = await import('../../scenarios/run/report.js');
  const { ScenarioCollector } = await import('../../scenarios/report/collect.js');
  const { renderReport } = await import('../../scenarios/report/html.js');

  // Every event of the run, from this machine or from the lab alike: the one place that shows progress.
  // On a terminal a live view instead of the plain lines (src/cli/scenario/LiveView.tsx), started by
  // the first event and ended by scenario-end, or at the latest before the summary.
  const { liveViewWanted } = await import('../scenario/mode.js');
  const live = liveViewWanted(process.stderr, argv) ? await import('../scenario/LiveView.js') : null;
  let view: LiveViewHandle | null = null;
  const onEvent = (event: ScenarioEvent): void => {
    if (live) {
      view ??= live.startLiveView(process.stderr);
      view.onEvent(event);
      if (event.type === 'scenario-end') void view.finish();
      return;
    }
    const line = argv.json ? null : progressLine(event);
    if (line) process.stderr.write(`${chalk.dim(line)}\n`);
  };


  let plan: ScenarioPlan;
  let variants: VariantPlan[];
  let report: string | null;
  let reason: string | null;
  try {
    plan = await loadScenario(argv.file);
    variants = m.runner.selectVariants(plan, argv.variant);
    if (argv.eventStream) return await streamEvents(plan, argv, m);
    report = argv.report === undefined ? null : reportPath(argv.report);
    reason = await m.lab.labReason(variants, argv.vm);
  } catch (error) {
    reportError(error, argv);
    // For this command every failure to run is "the scenario or the environment is wrong".
    return ExitCode.usage;
  }

  const collector = report === null ? null : new ScenarioCollector();
  const dispatch = (event: ScenarioEvent) => {
    collector?.add(event);
    onEvent(event);
  };
  let summary: ScenarioSummary | null = null;
  let exitCode: number = ExitCode.usage;
  let note: string | null = null;
  try {
    if (reason === null) {
      summary = await m.runner.runScenario(plan, { ...runOptions(argv), lab: 'never', onEvent: dispatch });
    } else {
      const file = plan.file ?? resolveScenarioPath(argv.file) ?? argv.file;
      if (!argv.json) process.stderr.write(`${chalk.dim(`qplug: running ${plan.name} in the kernel lab: ${reason}`)}\n`);
      const r = await m.lab.runScenarioInLab(file, { plan, variants, flags: { ...runOptions(argv), debug: argv.debug }, onEvent: dispatch });
      summary = r.summary;
      if (r.timedOut) {
        note = `the scenario did not finish in the lab within ${Math.round(r.timeoutMs / 1000)} s`;
        process.stderr.write(`${chalk.red('qplug:')} ${note} ${chalk.dim('[E_LAB]')}\n`);
      } else if (summary === null) {
        // The inner qplug said why on stderr, which came through.
        note = `the scenario stopped in the lab without a summary (exit ${r.exitCode})`;
        exitCode = r.exitCode;
      }
    }
  } catch (error) {
    reportError(error, argv);
    note = `the run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (summary) exitCode = summary.exit_code;

  if (collector && report !== null) {
    try {
      writeFileSync(report, renderReport(collector.result(), { plan, where: reason === null ? 'host' : 'lab', note }));
    } catch (error) {
      reportError(new UsageError(`--report ${argv.report}: cannot write it (${(error as NodeJS.ErrnoException).code ?? 'EIO'}); choose a writable path`, { cause: error }), argv);
      if (exitCode === 0) exitCode = ExitCode.usage;
      report = null;
    }
  }
  // The view's last frame stays and the summary follows it (finish() unmounts at once); without
  // a summary (a lab timeout, a crash) it still has to give the terminal back.
  void (view as LiveViewHandle | null)?.finish();
  if (summary) {
    // The one place that prints the result.
    if (argv.json) printJson(summaryJson(summary));
    else process.stdout.write(formatSummary(summary));
  }
  if (report !== null && !argv.json) process.stderr.write(`${chalk.dim(`qplug: report written to ${report}`)}\n`);
  return exitCode;
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
      .option('report', { type: 'string', describe: 'Also write an HTML report to this file: summary table and a timeline per variant (written on failure too)' })
      .option('event-stream', { type: 'boolean', default: false, hidden: true })
      .option('live', { type: 'boolean', default: true, describe: 'On a terminal, a live view of the run on stderr; --no-live prints the plain progress lines' })
      .example('$0 scenario example-freeze', 'run a shipped scenario (in the lab when this kernel has no sch_plug)')
      .example('$0 scenario mine.yaml --repeat 20 --json', 'reproduction rates as JSON')
      .example('$0 scenario mine.yaml --variant fix --seed 7', 'one variant, another seed')
      .example('$0 scenario proxy-reload --report reload.html', 'and an HTML report with a timeline per variant') as never,
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
