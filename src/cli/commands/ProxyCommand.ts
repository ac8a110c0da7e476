import type { CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { parseDuration } from '../../plug/units.js';
import type { BalanceAlgorithm, ProxyConfig, ReloadStrategy } from '../../proxy/configSchema.js';
import type { GlobalArgs } from '../output.js';
import { ReloadCommand } from './proxy/ReloadCommand.js';
import { ApiCommand } from './proxy/ApiCommand.js';

interface ProxyArgs extends GlobalArgs {
  config?: string;
  listen?: string;
  backend?: string[];
  splice?: boolean;
  maxconn?: number;
  threads?: number;
  balance?: BalanceAlgorithm;
  bufferSize?: string;
  bufferPool?: string;
  grace?: string;
  reloadStrategy?: ReloadStrategy;
  api?: string;
  log: boolean;
}

interface CheckArgs extends GlobalArgs {
  config: string;
}

/** Flags of the one-line form; with -c they belong in the file. */
const ONE_LINE_FLAGS = ['listen', 'backend', 'splice', 'maxconn', 'threads', 'balance', 'buffer-size', 'buffer-pool', 'reload-strategy', 'api'];

/** The config from -c, or from the one-line flags. */
export async function configFromArgs(argv: Omit<ProxyArgs, 'log' | 'json' | 'debug'>): Promise<ProxyConfig> {
  if (argv.config !== undefined) {
    const { loadProxyConfig } = await import('../../proxy/config.js');
    return loadProxyConfig(argv.config);
  }
  if (argv.listen === undefined) {
    throw new UsageError('nothing to proxy: give a config file (-c proxy.yaml) or --listen host:port with --backend host:port');
  }
  if (!argv.backend || argv.backend.length === 0) throw new UsageError('--listen needs at least one --backend host:port');
  const { proxyConfigFromOptions } = await import('../../proxy/configFromOptions.js');
  return proxyConfigFromOptions({
    listen: argv.listen,
    backends: argv.backend,
    splice: argv.splice,
    maxconn: argv.maxconn,
    threads: argv.threads,
    balance: argv.balance,
    bufferSize: argv.bufferSize,
    bufferPool: argv.bufferPool,
    grace: argv.grace,
    reloadStrategy: argv.reloadStrategy,
    api: argv.api,
  });
}

const check: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'Validate a proxy config file and print it normalised (durations in ms, sizes in bytes, defaults filled)',
  builder: (yargs) =>
    yargs
      .option('config', { alias: 'c', type: 'string', demandOption: true, describe: 'The YAML config file' })
      .example('$0 proxy check -c proxy.yaml', 'exit 0 and the normalised config, or exit 2 with one file:line:col line per problem')
      .example('$0 proxy check -c proxy.yaml --json', 'the normalised config as JSON') as never,
  handler: async (argv) => {
    const [{ loadProxyConfig }, { checkLine }, { stringify }] = await Promise.all([
      import('../../proxy/config.js'),
      import('../../proxy/report.js'),
      import('yaml'),
    ]);
    const config = await loadProxyConfig(argv.config);
    if (argv.json) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    else process.stdout.write(`# ${checkLine(config)}\n${stringify(config)}`);
  },
};

export const ProxyCommand: CommandModule<object, ProxyArgs> = {
  command: 'proxy',
  describe: 'Run a TCP proxy in the foreground: balancing, health checks, splice(2) or copy relay',
  builder: (yargs) =>
    yargs
      .command(check)
      .command(ReloadCommand)
      .command(ApiCommand)
      .option('config', { alias: 'c', type: 'string', describe: 'YAML config file (see docs/proxy.md, examples/proxy.yaml)' })
      .option('listen', { type: 'string', describe: 'One-line form: host:port to listen on (port 0: any free port)' })
      .option('backend', { type: 'string', array: true, describe: 'One-line form: a server host:port; repeat for more' })
      .option('splice', { type: 'boolean', describe: 'One-line form: relay with splice(2) instead of copying' })
      .option('maxconn', { type: 'number', describe: 'One-line form: concurrent client connections (default 10000)' })
      .option('threads', { type: 'number', describe: 'One-line form: engine worker threads (default 1)' })
      .option('balance', { choices: ['roundrobin', 'leastconn'] as const, describe: 'One-line form: how to pick a server (default roundrobin)' })
      .option('buffer-size', { type: 'string', describe: 'One-line form: copy path buffer size (default 64k)' })
      .option('buffer-pool', { type: 'string', describe: 'One-line form: copy path memory budget (default 64m)' })
      .option('grace', { type: 'string', describe: 'On SIGINT/SIGTERM, how long connections may finish (default: global.grace, 5s)' })
      .option('reload-strategy', { choices: ['restart', 'reuseport', 'handoff'] as const, describe: 'One-line form: how a reload replaces the worker (default handoff; see docs/proxy.md, Reloads)' })
      .option('api', { type: 'string', describe: 'One-line form: serve the runtime API on this unix socket (mode 0600; see docs/proxy.md, Runtime API)' })
      .option('log', { type: 'boolean', default: false, describe: 'Print one line per closed connection' })
      .conflicts('config', ONE_LINE_FLAGS)
      .example('$0 proxy -c proxy.yaml', 'run the proxy a config file describes; Ctrl-C stops it gracefully')
      .example('$0 proxy --listen 127.0.0.1:8080 --backend 127.0.0.1:9000 --backend 127.0.0.1:9001 --splice', 'one frontend, two servers, splice relay')
      .example('$0 proxy --listen 127.0.0.1:0 --backend 127.0.0.1:9000 --json', 'a free port; the ready line (JSON) says which')
      .example('$0 proxy check -c proxy.yaml', 'validate a config file')
      .epilog(
        'Prints one line per frontend when ready and one per health transition; on SIGINT/SIGTERM stops gracefully, prints a summary and exits 0 (a second signal exits at once, 130). The engine runs in a worker process; SIGUSR2 or `qplug proxy reload` replaces it (docs/proxy.md, Reloads). Exit codes: 0 stopped by a signal, 1 the proxy failed (e.g. cannot listen), 2 bad config or flags, 3 no native addon, 130 a second signal. See docs/proxy.md.',
      ) as never,
  handler: async (argv) => {
    const config = await configFromArgs(argv);
    const graceMs = argv.grace === undefined ? undefined : parseDuration(argv.grace, '--grace');
    // A master process that runs the engine in a worker, so that it can reload it.
    const { runMaster } = await import('../../proxy/reload/foreground.js');
    await runMaster(config, { json: argv.json, log: argv.log, graceMs, ...(argv.config !== undefined ? { configPath: argv.config } : {}) });
  },
};
