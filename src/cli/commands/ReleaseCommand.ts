import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { PlugQdisc } from '../../plug/PlugQdisc.js';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';

interface ReleaseArgs extends DeviceArgs {
  one: boolean;
}

export const ReleaseCommand: CommandModule<object, ReleaseArgs> = {
  command: 'release <dev>',
  describe: 'Release held packets and let traffic pass (with --one: release what is held so far, keep holding new packets)',
  builder: (yargs) =>
    deviceOptions(yargs)
      .option('one', {
        type: 'boolean',
        default: false,
        describe: 'Release one epoch: everything held up to now goes out, later packets stay held (buffer mark + release_one)',
      })
      .example('$0 release v0', 'deliver everything held, in order, and stop holding')
      .example('$0 release v0 --one', 'deliver what is held now; keep v0 frozen for what comes next') as never,
  handler: async (argv) => {
    const plug = await PlugQdisc.open({ dev: argv.dev, netns: argv.netns });
    try {
      if (argv.one) {
        // sch_plug releases the epoch closed by the last buffer mark: close the
        // current one first so "what is held now" is what goes out.
        await plug.buffer({ force: true });
        await plug.releaseOne();
      } else {
        await plug.releaseIndefinite();
      }
      if (argv.json) printJson(await plug.status());
      else if (argv.one) process.stdout.write(`${chalk.cyan('released one epoch')} on ${plug.dev}; still holding new packets\n`);
      else process.stdout.write(`${chalk.green('released')} ${plug.dev}: traffic passes through\n`);
    } finally {
      plug.close();
    }
  },
};
