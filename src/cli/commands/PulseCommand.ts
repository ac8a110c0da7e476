import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { formatDuration } from '../../plug/units.js';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';
import { maxHoldOption } from './PlugCommand.js';

interface PulseArgs extends DeviceArgs {
  hold: string;
  match?: string;
  maxHold?: string;
  force: boolean;
}

export const PulseCommand: CommandModule<object, PulseArgs> = {
  command: 'pulse <dev>',
  describe: 'Freeze, hold, release: prints the measured hold and how many packets the release let go',
  builder: (yargs) =>
    deviceOptions(yargs)
      .option('hold', { type: 'string', demandOption: true, describe: 'How long to hold, e.g. 250ms or 2s' })
      .option('match', { type: 'string', describe: 'Freeze only matching packets (when pulse attaches the plug itself)' })
      .option('max-hold', { type: 'string', describe: 'Dead-man release if pulse is killed (default: the larger of 2 × hold and 60 s; "none" to opt out)' })
      .option('force', { type: 'boolean', default: false, describe: 'Freeze even the device carrying the default route of the initial namespace' })
      .example('$0 pulse v0 --hold 250ms', 'freeze v0 for 250 ms')
      .example("$0 pulse v0 --hold 2s --match 'tcp dport 8080 syn' --json", 'hold new connections to 8080 for 2 s') as never,
  handler: async (argv) => {
    const { pulse } = await import('../../plug/pulse.js');
    const result = await pulse({
      dev: argv.dev,
      netns: argv.netns,
      hold: argv.hold,
      match: argv.match,
      force: argv.force,
      maxHold: argv.maxHold === undefined ? undefined : maxHoldOption(argv.maxHold),
      onFrozen: argv.json ? undefined : () => process.stderr.write(chalk.dim(`holding ${argv.dev} for ${argv.hold}...\n`)),
    });
    if (argv.json) printJson(result);
    else {
      process.stdout.write(
        `${chalk.cyan('pulsed')} ${result.dev}${result.match ? ` ('${result.match}')` : ''}: held ${formatDuration(result.actualHoldMs)} (asked ${formatDuration(result.holdMs)}), released ${result.releasedPackets} packets / ${result.releasedBytes} bytes${result.drops ? `, ${result.drops} dropped at the limit` : ''}\n`,
      );
    }
  },
};
