import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';

interface PlugArgs extends DeviceArgs {
  force: boolean;
  maxHold: string;
}

/** "none" opts out of the dead-man release; anything else is a duration. */
export function maxHoldOption(value: string): string | null {
  return value.trim().toLowerCase() === 'none' ? null : value;
}

export const PlugCommand: CommandModule<object, PlugArgs> = {
  command: 'plug <dev>',
  describe: 'Freeze: hold every packet leaving <dev> until `qplug release`',
  builder: (yargs) =>
    deviceOptions(yargs)
      .option('force', { type: 'boolean', default: false, describe: 'Freeze even the device carrying the default route of the initial namespace' })
      .option('max-hold', {
        type: 'string',
        default: '60s',
        describe: 'Dead-man release: a watchdog releases the freeze after this long, even if qplug is killed ("none" to opt out)',
      })
      .example('$0 plug v0', 'hold everything v0 sends (released by the watchdog after 60 s at most)')
      .example('$0 plug v0 --max-hold 2m', 'hold for up to two minutes')
      .example('$0 plug v0 --netns lab --json', 'in namespace "lab", printing the new status') as never,
  handler: async (argv) => {
    const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
    const plug = await PlugQdisc.open({ dev: argv.dev, netns: argv.netns });
    try {
      const maxHold = maxHoldOption(argv.maxHold);
      if (maxHold === null) {
        process.stderr.write(`${chalk.red.bold('warning:')} --max-hold none: no watchdog will release ${plug.dev}; it stays frozen until \`qplug release ${plug.dev}\`, even if this machine's session depends on it\n`);
      }
      await plug.buffer({ force: argv.force, maxHold });
      if (argv.json) printJson(await plug.status());
      else {
        const until = plug.deadline ? ` or until the watchdog releases it at ${new Date(plug.deadline).toLocaleTimeString()}` : '';
        process.stdout.write(`${chalk.yellow('buffering')} ${plug.dev}${plug.match ? ` (only '${plug.match}')` : ''}: packets are held until \`qplug release ${plug.dev}\`${until}\n`);
      }
    } finally {
      plug.close();
    }
  },
};
