import type { CommandModule } from 'yargs';
import { readdirSync } from 'node:fs';
import chalk from 'chalk';
import type { PlugStatus } from '../../plug/PlugQdisc.js';
import { NETNS_RUN_DIR } from '../../plug/netns.js';
import { formatDuration, formatSize } from '../../plug/units.js';
import { printJson, type GlobalArgs } from '../output.js';
import { deviceOptions } from './common.js';

interface StatusArgs extends GlobalArgs {
  dev?: string;
  netns?: string;
  all?: boolean;
}

function namedNamespaces(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return [];
  }
}

export async function collectStatus(args: { dev?: string; netns?: string; all?: boolean }): Promise<PlugStatus[]> {
  const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
  if (!args.all) return PlugQdisc.list({ dev: args.dev, netns: args.netns });
  const result = await PlugQdisc.list({});
  for (const name of namedNamespaces()) result.push(...(await PlugQdisc.list({ netns: name })));
  return result;
}

function line(s: PlugStatus): string {
  const state =
    s.state === 'buffering' ? chalk.yellow('buffering') : s.state === 'pass-through' ? chalk.green('pass-through') : chalk.dim('unknown (not made by qplug)');
  const since = s.since ? ` for ${formatDuration(Date.now() - Date.parse(s.since))}` : '';
  const where = s.netns ? `${s.netns}/${s.dev}` : s.dev;
  const limit = s.limit === null ? 'default' : formatSize(s.limit);
  const match = s.match ? ` matching '${s.match}'` : '';
  const deadline = s.deadline ? chalk.dim(` (watchdog releases at ${new Date(s.deadline).toLocaleTimeString()})`) : '';
  return (
    `${chalk.bold(where)} plug ${s.handle} parent ${s.parent}${match}: ${state}${since}${deadline}\n` +
    `  backlog ${s.backlog.packets} pkt / ${formatSize(s.backlog.bytes)}, sent ${s.sent.packets} pkt / ${formatSize(s.sent.bytes)}, drops ${s.drops}, limit ${limit}`
  );
}

export const StatusCommand: CommandModule<object, StatusArgs> = {
  command: 'status [dev]',
  describe: 'Show plug qdiscs: state (pass-through / buffering), since when, backlog, sent, drops',
  builder: (yargs) =>
    deviceOptions(yargs, { optional: true })
      .option('all', { type: 'boolean', describe: 'The current namespace and every one in /run/netns' })
      .conflicts('all', ['netns', 'dev'])
      .example('$0 status', 'every plug in this namespace')
      .example('$0 status v0 --netns lab --json', 'one device, as JSON') as never,
  handler: async (argv) => {
    const plugs = await collectStatus(argv);
    if (argv.json) {
      printJson(plugs);
      return;
    }
    if (plugs.length === 0) {
      process.stdout.write(`no plug qdiscs${argv.dev ? ` on ${argv.dev}` : ''}${argv.netns ? ` in namespace '${argv.netns}'` : ''}; attach one with \`qplug attach <dev>\`\n`);
      return;
    }
    process.stdout.write(`${plugs.map(line).join('\n')}\n`);
  },
};
