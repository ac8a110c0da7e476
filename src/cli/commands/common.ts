import type { Argv } from 'yargs';
import type { GlobalArgs } from '../output.js';

export interface DeviceArgs extends GlobalArgs {
  dev: string;
  netns?: string;
}

/** The <dev> positional and --netns, shared by the plug commands. */
export function deviceOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional('dev', { type: 'string', demandOption: true, describe: 'Network device, e.g. eth0 or v0' })
    .option('netns', { type: 'string', describe: 'Network namespace: a name from `ip netns list`, or a path such as /proc/PID/ns/net' });
}
