/**
 * The runtime API server: a unix stream socket (mode 0600), one command per
 * line, each reply ended by an empty line. It knows only an ApiTarget, so the
 * same server runs in the foreground proxy and in a master process.
 *
 *   const api = await ApiServer.start({ path: '/run/qplug.sock', target: proxyTarget(proxy) });
 *   ...
 *   await api.close(); // removes the socket file
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ProxyError } from '../../errors.js';
import { formatDuration } from '../../plug/units.js';
import { apiPathProblem, definedOnly } from '../configSchema.js';
import { runApiLine, type ApiLevel } from './commands.js';
import { LineSplitter, type LineItem } from './lines.js';
import type { ApiTarget } from './target.js';

export const API_DEFAULTS = {
  level: 'operator' as ApiLevel,
  /** Connections at once; one more is told so and closed. */
  maxClients: 32,
  /** Bytes before the newline; a longer line gets one error line and the connection stays. */
  maxLineBytes: 4096,
  /** A connection with no traffic for this long is closed (not while a command runs). */
  idleTimeoutMs: 60_000,
  /** A command that has not answered by then gets an error line. */
  commandTimeoutMs: 120_000,
};

export interface ApiServerOptions extends Partial<typeof API_DEFAULTS> {
  path: string;
  target: ApiTarget;
}

export class ApiServer {
  private readonly clients = new Set<Socket>();
  private closing?: Promise<void>;

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly inode: number,
    private readonly options: typeof API_DEFAULTS & { target: ApiTarget },
  ) {
    server.on('connection', (socket) => this.serve(socket));
  }

  /**
   * Listen on `path`. A stale socket file (nothing answers) is removed; a path
   * that something answers on, or that is not a socket, is a ProxyError.
   */
  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const settings = { ...API_DEFAULTS, ...definedOnly(options), target: options.target };
    const { path } = options;
    const problem = apiPathProblem(path);
    if (problem) throw new ProxyError(`cannot serve the runtime API on ${path}: ${problem}`);
    await clearStalePath(path);
    const server = createServer({ allowHalfOpen: true });
    try {
      await listenPrivately(server, path);
      // Belt and braces: where the umask cannot be set (worker threads), this is what makes it private.
      await chmod(path, 0o600);
      const { ino } = await lstat(path);
      return new ApiServer(path, server, ino, settings);
    } catch (error) {
      server.close();
      // libuv reports a missing directory as EACCES (as Windows would).
      const code = (error as NodeJS.ErrnoException)?.code;
      const missing = code === 'EACCES' && (await lstat(dirname(path)).then(() => false, () => true));
      throw listenError(path, missing ? Object.assign(new Error('no such directory'), { code: 'ENOENT' }) : error);
    }
  }

  /** Connections open now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Stop listening, drop every connection, remove the socket file (if it is still ours). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const socket of this.clients) socket.destroy();
      await closed;
      // libuv unlinks a unix server's path on close; should the file still be there, only ours goes.
      const now = await lstat(this.path).catch(() => undefined);
      if (now?.ino === this.inode) await unlink(this.path).catch(() => undefined);
    })();
    return this.closing;
  }

  private serve(socket: Socket): void {
    socket.on('error', () => undefined);
    const { maxClients, maxLineBytes, idleTimeoutMs } = this.options;
    if (this.clients.size >= maxClients || this.closing) {
      socket.end(this.closing ? 'error: the runtime API is closing\n\n' : `error: too many clients (${maxClients}): try again later\n\n`);
      socket.setTimeout(1000, () => socket.destroy());
      socket.resume(); // discard what it sends, so that its end arrives and the socket closes
      return;
    }
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => socket.destroy());
    const splitter = new LineSplitter(maxLineBytes);
    // Lines run one at a time, in order; reading pauses meanwhile, which bounds memory per client.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      socket.pause();
      const items = splitter.push(chunk);
      queue = queue
        .then(() => this.answer(socket, items))
        .then(() => void (socket.destroyed || socket.resume()))
        .catch(() => void socket.destroy());
    });
    // The client finished sending (e.g. `printf 'show info\n' | socat - UNIX:...`): reply, then close.
    socket.on('end', () => void queue.then(() => socket.end()));
  }

  private async answer(socket: Socket, items: LineItem[]): Promise<void> {
    const { idleTimeoutMs, maxLineBytes } = this.options;
    for (const item of items) {
      if (socket.destroyed) return;
      socket.setTimeout(0);
      const reply = 'line' in item ? await this.run(item.line) : [`error: line too long (over ${maxLineBytes} bytes): ignored up to the next newline`];
      if (socket.destroyed) return;
      socket.setTimeout(idleTimeoutMs);
      if (!socket.write(`${reply.join('\n')}\n\n`)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done).off('close', done);
            resolve();
          };
          socket.on('drain', done).on('close', done);
        });
      }
    }
  }

  private async run(line: string): Promise<string[]> {
    const { commandTimeoutMs, target, level } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([`error: no answer within ${formatDuration(commandTimeoutMs)}`]), commandTimeoutMs);
    });
    try {
      return await Promise.race([runApiLine(line, target, level), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Bind with umask 0177, so the socket is 0600 from the moment it exists (bind is synchronous in listen()). */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    let previous: number | undefined;
    try {
      previous = process.umask(0o177);
    } catch {
      previous = undefined; // worker threads cannot change the umask
    }
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}

/** Remove a socket file nothing answers on; refuse a live one or a non-socket. */
async function clearStalePath(path: string): Promise<void> {
  const where = `cannot serve the runtime API on ${path}`;
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw listenError(path, error);
  });
  if (!existing) return;
  if (!existing.isSocket()) throw new ProxyError(`${where}: the path exists and is not a socket (remove it or pick another path)`);
  const answer = await probe(path, 1000);
  if (answer === 'stale') await unlink(path).catch(() => undefined);
  else if (answer !== 'gone') throw new ProxyError(`${where}: ${answer} (stop the other proxy, or pick another path)`);
}

/** 'stale' (refused), 'gone', or why the path counts as in use. */
function probe(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const finish = (answer: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(`something holds the socket (no answer within ${timeoutMs}ms)`), timeoutMs);
    socket.once('connect', () => finish('another process serves the runtime API there'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish('stale');
      else if (error.code === 'ENOENT') finish('gone');
      else finish(`the socket cannot be checked (${error.code ?? error.message})`);
    });
  });
}

const LISTEN_REMEDIES: Record<string, string> = {
  EADDRINUSE: 'another process bound it just now',
  EACCES: 'permission denied: pick a directory you can write',
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
};

function listenError(path: string, error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const why = (code && LISTEN_REMEDIES[code]) ?? (error instanceof Error ? error.message : String(error));
  return new ProxyError(`cannot serve the runtime API on ${path}: ${why}${code ? ` (${code})` : ''}`, { cause: error, details: { path, ...(code ? { errnoName: code } : {}) } });
}
