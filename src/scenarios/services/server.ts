/**
 * The built-in services, run as a child process inside a host's namespace:
 * `node server.js '{"kind":"echo"|"http",...}'`. Prints one JSON line
 * {"t":"listening","port":N} once it accepts connections. Exits when stdin
 * closes (the runner is gone), on SIGTERM/SIGINT; SIGHUP/SIGUSR1/SIGUSR2 are
 * logged as reloads instead of killing it.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

export type BuiltinSpec =
  | { kind: 'echo'; address: string; port: number }
  | { kind: 'http'; address: string; port: number; responseDelayMs: number; keepaliveTimeoutMs: number; responseBytes: number };

function echoServer(): Server {
  return createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
}

function httpServer(spec: Extract<BuiltinSpec, { kind: 'http' }>): Server {
  const body = Buffer.alloc(spec.responseBytes, 0x2e);
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
        res.end(body);
      }, spec.responseDelayMs);
    });
  });
  server.keepAliveTimeout = spec.keepaliveTimeoutMs;
  server.on('clientError', (_e, socket) => socket.destroy());
  return server;
}

function main(spec: BuiltinSpec): void {
  const server = spec.kind === 'echo' ? echoServer() : httpServer(spec);
  server.on('error', (e) => {
    process.stderr.write(`${spec.kind}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(spec.port, spec.address, () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ t: 'listening', port: typeof address === 'object' && address ? address.port : spec.port })}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
  for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => process.stdout.write(`${JSON.stringify({ t: 'reload', signal })}\n`));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(JSON.parse(process.argv[2] ?? '{}') as BuiltinSpec);
