/**
 * Shared by the runtime API tests over the native engine: named upstream
 * servers on 127.0.0.1:0, a client that reads which server answered, a
 * private socket directory, and cleanup of everything they open.
 */
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Closes what the helpers opened; call from afterEach. */
export class Cleanup {
  private readonly tasks: Array<() => unknown> = [];
  private readonly sockets = new Set<Socket>();

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    return socket.on('error', () => undefined);
  }

  async run(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    for (const task of this.tasks.splice(0).reverse()) await task();
  }
}

/** A directory for sockets, removed after the test file (call it at the top level of a test file). */
export function socketDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A server that answers every connection with its name, then closes. */
export async function namedServer(cleanup: Cleanup, name: string): Promise<number> {
  const server: Server = createServer((socket) => cleanup.track(socket).end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

/** Which server answered through the proxy ('' when the proxy closed without an answer). */
export function whoAnswers(port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer within ${timeoutMs}ms`))), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', () => undefined);
    socket.on('close', () => (clearTimeout(timer), resolve(text)));
  });
}

/** The servers that answered n connections, counted. */
export async function answers(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = (await whoAnswers(port)) || 'none';
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}
