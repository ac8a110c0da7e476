import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { PlugQdisc } from '../../plug/PlugQdisc.js';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';

interface PlugArgs extends DeviceArgs {
  force: boolean;
}

export const PlugCommand: CommandModule<object, PlugArgs> = {
  command: 'plug <dev>',
  describe: 'Freeze: hold every packet leaving <dev> until `qplug release`',
  builder: (yargs) =>
    deviceOptions(yargs)
      .option('force', { type: 'boolean', default: false, describe: 'Freeze even the device carrying the default route of the initial namespace' })
      .example('$0 plug v0', 'hold everything v0 sends')
      .example('$0 plug v0 --netns lab --json', 'in namespace "lab", printing the new status') as never,
  handler: async (argv) => {
    const plug = await PlugQdisc.open({ dev: argv.dev, netns: argv.netns });
    try {
      await plug.buffer({ force: argv.force });
      if (argv.json) printJson(await plug.status());
      else process.stdout.write(`${chalk.yellow('buffering')} ${plug.dev}: packets are held until \`qplug release ${plug.dev}\`\n`);
    } finally {
      plug.close();
    }
  },
};
