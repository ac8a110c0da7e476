import type { Argv } from 'yargs';
import type { GlobalArgs } from '../output.js';

export interface DeviceArgs extends GlobalArgs {
  dev: string;
  netns?: string;
}

/**
 * The <dev> positional and --netns, shared by the plug commands; `optional`
 * for the commands where [dev] may be left out (release --all, status).
 */
export function deviceOptions<T>(yargs: Argv<T>, { optional = false } = {}) {
  return yargs
    .positional('dev', { type: 'string', demandOption: !optional, describe: optional ? 'Network device, e.g. eth0 or v0 (all when omitted)' : 'Network device, e.g. eth0 or v0' })
    .option('netns', { type: 'string', describe: 'Network namespace: a name from `ip netns list`, or a path such as /proc/PID/ns/net (default: the current one)' });
}
