import type { Argv, CommandModule } from 'yargs';
import chalk from 'chalk';
import { printJson, type GlobalArgs } from '../output.js';

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

export const ScenarioCommand: CommandModule<object, GlobalArgs> = {
  command: 'scenario <command>',
  describe: 'Scenario files: validate them, list the shipped ones (docs/scenarios.md)',
  builder: (yargs: Argv<object>) =>
    yargs
      .command(validateCommand)
      .command(listCommand)
      .demandCommand(1, 'name a subcommand: validate <file..> or list')
      .example('$0 scenario validate mine.yaml', 'check a scenario file')
      .example('$0 scenario list', 'the shipped scenarios') as never,
  handler: () => {},
};
