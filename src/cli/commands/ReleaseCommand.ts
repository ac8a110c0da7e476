import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { printJson } from '../output.js';
import { UsageError } from '../../errors.js';
import type { GlobalArgs } from '../output.js';
import { deviceOptions } from './common.js';

interface ReleaseArgs extends GlobalArgs {
  dev?: string;
  netns?: string;
  one?: boolean;
  all?: boolean;
}

export const ReleaseCommand: CommandModule<object, ReleaseArgs> = {
  command: 'release [dev]',
  describe: 'Release held packets and let traffic pass (with --one: release what is held so far, keep holding new packets)',
  builder: (yargs) =>
    deviceOptions(yargs, { optional: true })
      .option('all', { type: 'boolean', describe: 'Release every plug qplug knows of, in every namespace' })
      .conflicts('all', ['dev', 'one', 'netns'])
      .option('one', {
        type: 'boolean',
        describe: 'Release one epoch: everything held up to now goes out, later packets stay held (buffer mark + release_one)',
      })
      .example('$0 release v0', 'deliver everything held, in order, and stop holding')
      .example('$0 release v0 --one', 'deliver what is held now; keep v0 frozen for what comes next')
      .example('$0 release --all', 'release every plug qplug knows of') as never,
  handler: async (argv) => {
    if (argv.all) {
      const { releaseAll } = await import('../../plug/releaseAll.js');
      const results = await releaseAll();
      if (argv.json) printJson(results);
      else if (results.length === 0) process.stdout.write('no plugs on record\n');
      else for (const r of results) process.stdout.write(`${r.released ? chalk.green('released') : chalk.red('failed')} ${r.netns ? `${r.netns}/` : ''}${r.dev}${r.error ? `: ${r.error.message}` : ''}\n`);
      if (results.some((r) => !r.released && r.error?.code !== 'E_NOT_ATTACHED')) process.exitCode = 1;
      return;
    }
    if (!argv.dev) throw new UsageError('name a device or pass --all: e.g. `qplug release v0`');
    const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
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
