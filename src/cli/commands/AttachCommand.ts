import type { CommandModule } from 'yargs';
import chalk from 'chalk';
import { formatHandle } from '../../plug/handles.js';
import { formatSize } from '../../plug/units.js';
import { printJson } from '../output.js';
import { deviceOptions, type DeviceArgs } from './common.js';

interface AttachArgs extends DeviceArgs {
  match?: string;
  limit?: string;
  parent?: string;
  handle?: string;
}

export const AttachCommand: CommandModule<object, AttachArgs> = {
  command: 'attach <dev>',
  describe: 'Attach a plug qdisc to a device, passing traffic through (nothing is frozen yet)',
  builder: (yargs) =>
    deviceOptions(yargs)
      .option('match', { type: 'string', describe: "Freeze only matching packets (IPv4): tcp|udp|icmp, sport N, dport N, src A[/N], dst A[/N], syn" })
      .option('limit', { type: 'string', describe: 'Bytes the plug holds before it drops (k/m/g binary units); default tx_queue_len * MTU' })
      .option('parent', { type: 'string', describe: 'Where to attach: root (default) or a class such as 1:10' })
      .option('handle', { type: 'string', describe: 'Handle for the plug qdisc, e.g. 51: (default: the kernel picks one)' })
      .example('$0 attach eth0', 'put a plug in place on eth0')
      .example('$0 attach v0 --netns lab --limit 1m', 'in namespace "lab", holding at most 1 MiB')
      .example("$0 attach v0 --match 'tcp dport 8080 syn'", 'freeze only new connections to port 8080; the rest flows')
      .example('$0 attach eth0 --parent 1:10', 'under class 1:10 of an existing HTB tree') as never,
  handler: async (argv) => {
    const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
    const plug = await PlugQdisc.attach({ dev: argv.dev, netns: argv.netns, parent: argv.parent, handle: argv.handle, limitBytes: argv.limit, match: argv.match });
    try {
      const status = await plug.status();
      if (argv.json) {
        printJson(status);
      } else {
        const limit = plug.limitBytes === null ? 'kernel default limit' : `limit ${formatSize(plug.limitBytes)}`;
        const what = plug.match ? `, matching '${plug.match}'` : '';
        process.stdout.write(`${chalk.green('attached')} plug ${formatHandle(plug.handle)} on ${plug.dev} (${limit}${what}); traffic passes through until \`qplug plug ${plug.dev}\`\n`);
      }
    } finally {
      plug.close();
    }
  },
};
