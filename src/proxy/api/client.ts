/**
 * A client for the runtime API: `qplug proxy api`, tests, scripts.
 *
 *   const reply = await apiRequest('/run/qplug.sock', 'show servers state');
 *   if (!reply.ok) console.error(reply.error);
 */
import { connect, type Socket } from 'node:net';
import { ExitCode, ProxyError, QplugError, UsageError } from '../../errors.js';
import { formatDuration } from '../../plug/units.js';
import { ReplySplitter } from './lines.js';

export interface ApiReply {
  /** False for an `error: ...` reply. */
  ok: boolean;
  /** The reply's lines, without the empty line that ends it. */
  lines: string[];
  /** What follows `error: ` when !ok. */
  error?: string;
}

export interface ApiClientOptions {
  /** For connecting and for each reply (default 30 s). */
  timeoutMs?: number;
}

interface Waiter {
  resolve: (reply: ApiReply) => void;
  reject: (error: Error) => void;
}

export class ApiClient {
  private readonly splitter = new ReplySplitter();
  private readonly waiting: Waiter[] = [];
  /** Replies that came before anyone asked (the server's "too many clients"). */
  private readonly unclaimed: ApiReply[] = [];
  private ended?: Error;

  private constructor(
    readonly path: string,
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      for (const lines of this.splitter.push(text)) this.deliver(toReply(lines));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = new ProxyError(`the runtime API at ${path} closed the connection`);
      for (const w of this.waiting.splice(0)) w.reject(this.ended);
    });
  }

  /** Connect; a missing socket is exit code 4, a permission error 5. */
  static connect(path: string, { timeoutMs = 30_000 }: ApiClientOptions = {}): Promise<ApiClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ProxyError(`no answer from the runtime API at ${path} within ${formatDuration(timeoutMs)}`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ApiClient(path, socket, timeoutMs));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(path, error));
      });
    });
  }

  /** Send one command line; resolves with its reply. Commands are answered in order. */
  send(command: string): Promise<ApiReply> {
    if (/[\r\n]/.test(command)) return Promise.reject(new UsageError('one command per request: the line must not contain a newline'));
    // A reply nobody asked for is the server refusing the connection: that is the answer.
    const early = this.unclaimed.shift();
    if (early) return Promise.resolve(early);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(new ProxyError(`no reply to '${command}' from ${this.path} within ${formatDuration(this.timeoutMs)}`));
      }, this.timeoutMs);
      this.waiting.push({
        resolve: (reply) => (clearTimeout(timer), resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.socket.write(`${command}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(reply: ApiReply): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(reply);
    else this.unclaimed.push(reply);
  }
}

/** Connect, send one command, close. */
export async function apiRequest(path: string, command: string, options: ApiClientOptions = {}): Promise<ApiReply> {
  const client = await ApiClient.connect(path, options);
  try {
    return await client.send(command);
  } finally {
    client.close();
  }
}

function toReply(lines: string[]): ApiReply {
  const first = lines[0] ?? '';
  if (lines.length === 1 && first.startsWith('error: ')) return { ok: false, lines, error: first.slice('error: '.length) };
  return { ok: true, lines };
}

function connectError(path: string, error: NodeJS.ErrnoException): QplugError {
  const code = error.code;
  const details = { path, ...(code ? { errnoName: code } : {}) };
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR') {
    const why = code === 'ECONNREFUSED' ? 'nothing listens on it (the proxy stopped, or it is not an API socket)' : 'no such socket';
    return new QplugError('E_PROXY', ExitCode.notFound, `no runtime API at ${path}: ${why} (start the proxy with --api ${path} or global.api)`, { cause: error, details });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new QplugError('E_PERMISSION', ExitCode.permission, `permission denied on ${path}: the API socket is 0600, so only the user that started the proxy (or root) may use it`, {
      cause: error,
      details,
    });
  }
  return new ProxyError(`cannot reach the runtime API at ${path}: ${error.message}`, { cause: error, details });
}
