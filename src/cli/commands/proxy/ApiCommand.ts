import type { CommandModule } from 'yargs';
import { ProxyError } from '../../../errors.js';
import { parseDuration } from '../../../plug/units.js';
import type { GlobalArgs } from '../../output.js';

interface ApiArgs extends GlobalArgs {
  socket: string;
  command: string[];
  timeout: string;
}

export const ApiCommand: CommandModule<object, ApiArgs> = {
  command: 'api <socket> <command..>',
  describe: "Send one command to a running proxy's runtime API and print the reply",
  builder: (yargs) =>
    yargs
      .positional('socket', { type: 'string', demandOption: true, describe: 'The API socket (the proxy\'s --api PATH or global.api)' })
      .positional('command', { type: 'string', array: true, demandOption: true, describe: "The command, e.g. 'show servers state' (see 'help')" })
      .option('timeout', { type: 'string', default: '30s', describe: 'How long to wait for the reply' })
      .example("$0 proxy api /tmp/proxy.sock 'show servers state'", 'admin state, weight, injected health and check of every server')
      .example("$0 proxy api /tmp/proxy.sock 'disable server app/s1'", 'maintenance: no new connections for app/s1')
      .example("$0 proxy api /tmp/proxy.sock 'show stat' --json", 'the JSON variant: one JSON line')
      .example("$0 proxy api /tmp/proxy.sock 'help --json'", "the proxy's commands with usage and level (a bare trailing `help` shows this help instead)")
      .epilog(
        'Exit codes: 0 the proxy answered, 1 it answered with an error line (printed on stderr), 2 bad flags, 4 no API at that path (no socket, or nothing listens), 5 permission denied (the socket is 0600). See docs/proxy.md, "Runtime API".',
      ) as never,
  handler: async (argv) => {
    const { apiRequest } = await import('../../../proxy/api/client.js');
    const line = argv.command.join(' ');
    const reply = await apiRequest(argv.socket, argv.json && !line.split(/\s+/).includes('--json') ? `${line} --json` : line, {
      timeoutMs: parseDuration(argv.timeout, '--timeout'),
    });
    if (!reply.ok) throw new ProxyError(reply.error ?? 'the proxy answered with an error', { details: { command: line } });
    process.stdout.write(`${reply.lines.join('\n')}\n`);
  },
};
