import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';

export const DetachCommand: CommandModule<object, DeviceArgs> = {
  command: 'detach <dev>',
  describe: 'Release everything held and remove the plug, putting back the qdisc that was there before',
  builder: (yargs) => deviceOptions(yargs).example('$0 detach v0', 'release and remove the plug on v0') as never,
  handler: async (argv) => {
    const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
    const plug = await PlugQdisc.open({ dev: argv.dev, netns: argv.netns });
    const { dev } = plug;
    const { drained } = await plug.detach();
    if (argv.json) printJson({ dev, netns: argv.netns ?? null, detached: true, drained });
    else process.stdout.write(`${chalk.green('detached')} the plug from ${dev}${drained ? '' : ' (its queue had not drained within 2 s; what was left was dropped)'}\n`);
  },
};
