/**
 * Wires the commands together; each command lives in commands/<Name>Command.ts.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../errors.js';
import { reportError } from './output.js';
import { AttachCommand } from './commands/AttachCommand.js';
import { PlugCommand } from './commands/PlugCommand.js';
import { ReleaseCommand } from './commands/ReleaseCommand.js';
import { PulseCommand } from './commands/PulseCommand.js';
import { DetachCommand } from './commands/DetachCommand.js';
import { StatusCommand } from './commands/StatusCommand.js';
import { DoctorCommand } from './commands/DoctorCommand.js';
import { LabCommand } from './commands/LabCommand.js';
import { ScenarioCommand } from './commands/ScenarioCommand.js';
import { ProxyCommand } from './commands/ProxyCommand.js';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('qplug')
    .usage('$0 <command> [options]\n\nFreeze and release real traffic with the Linux plug qdisc (sch_plug).')
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON on stdout' })
    .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces on errors' })
    .command(AttachCommand)
    .command(PlugCommand)
    .command(ReleaseCommand)
    .command(PulseCommand)
    .command(DetachCommand)
    .command(StatusCommand)
    .command(DoctorCommand)
    .command(LabCommand)
    .command(ScenarioCommand)
    .command(ProxyCommand)
    .demandCommand(1, 'name a command: see `qplug --help`')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .epilog('Exit codes: 0 ok, 1 failure, 2 usage, 3 environment (no sch_plug, no addon, lab), 4 not found, 5 permission, 6 qdisc state. Docs: README.md')
    .fail((message, error) => {
      throw error ?? new UsageError(`${message}: see \`qplug --help\``);
    });
  try {
    await parser.parseAsync(hideBin(['node', 'qplug', ...argv]));
    exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const json = argv.includes('--json');
    const debug = argv.includes('--debug');
    exitCode = reportError(error, { json, debug });
  }
  return exitCode;
}

// Run directly (node dist/cli/cli.js ...), not only through bin/qplug.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
