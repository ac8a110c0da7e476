import type { CommandModule } from 'yargs';
import type { ReloadStrategy } from '../../../proxy/configSchema.js';
import type { GlobalArgs } from '../../output.js';

interface ReloadArgs extends GlobalArgs {
  api: string;
  strategy?: ReloadStrategy;
  timeout: number;
}

export const ReloadCommand: CommandModule<object, ReloadArgs> = {
  command: 'reload',
  describe: 'Reload a running proxy through its runtime API: re-read the config file, start a new worker, drain the old one',
  builder: (yargs) =>
    yargs
      .option('api', { type: 'string', demandOption: true, describe: 'The runtime API socket of the running proxy (its --api PATH or global.api)' })
      .option('strategy', {
        choices: ['restart', 'reuseport', 'handoff'] as const,
        describe: 'How to replace the worker (default: global.reload_strategy, handoff): see docs/proxy.md, Reloads',
      })
      .option('timeout', { type: 'number', default: 60, describe: 'Seconds to wait for the new worker to serve' })
      .example('$0 proxy reload --api /run/qplug-proxy.sock', 'reload with the configured strategy; prints the old and new worker PIDs')
      .example('$0 proxy reload --api /run/qplug-proxy.sock --strategy reuseport', 'reload the racy way (resets what sits in the old accept queue)')
      .epilog('Returns once the new worker serves. Exit codes: 0 reloaded, 1 the reload failed (a bad config file: the old worker keeps serving, the error names the lines), 2 bad flags.') as never,
  handler: async (argv) => {
    const { requestReload } = await import('../../../proxy/reload/client.js');
    const reply = await requestReload(argv.api, argv.strategy, Math.max(1, argv.timeout) * 1000);
    if (argv.json) process.stdout.write(`${JSON.stringify(reply)}\n`);
    else process.stdout.write(`reloaded (${reply.strategy}) in ${Math.round(reply.ms)}ms: worker ${reply.oldPid} -> ${reply.newPid}\n`);
  },
};
