/**
 * The runtime API on a real unix socket (in a temp dir removed afterwards),
 * over a Proxy on the fake engine or a hand-made target: mode 0600, framing,
 * errors that keep the connection, the limits, stale and live sockets, and
 * the client's exit codes. Every wait is bounded.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, apiRequest } from '../../src/proxy/api/client.js';
import { ApiServer, type ApiServerOptions } from '../../src/proxy/api/server.js';
import { proxyTarget, type ApiTarget } from '../../src/proxy/api/target.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { Proxy } from '../../src/proxy/Proxy.js';
import { fakeEngines } from './proxy-fake-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'qplug-api-'));
let count = 0;
const socketPath = () => join(dir, `api${count++}.sock`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function fakeProxy(): Promise<Proxy> {
  const proxy = await Proxy.start(proxyConfigFromOptions({ listen: '127.0.0.1:0', backends: ['127.0.0.1:9001', '127.0.0.1:9002'] }), { engineFactory: fakeEngines().factory });
  cleanup.push(() => proxy.stop({ graceMs: 0 }));
  return proxy;
}

async function proxyApi(options: Partial<ApiServerOptions> = {}): Promise<{ api: ApiServer; proxy: Proxy }> {
  const proxy = await fakeProxy();
  const api = await ApiServer.start({ path: socketPath(), target: proxyTarget(proxy), ...options });
  cleanup.push(() => api.close());
  return { api, proxy };
}

async function client(path: string): Promise<ApiClient> {
  const c = await ApiClient.connect(path, { timeoutMs: 5000 });
  cleanup.push(() => c.close());
  return c;
}

/** Write raw bytes; resolves with everything received once `replies` replies (empty-line ends) have arrived. */
function raw(path: string, bytes: Buffer | string, replies: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`${replies} replies not seen within ${timeoutMs}ms; got ${JSON.stringify(text.slice(0, 300))}`))), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(bytes));
    socket.on('error', (e) => (clearTimeout(timer), reject(e)));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if ((text.match(/\n\n/g) ?? []).length >= replies) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A net server on `path` whose socket file outlives it: nothing answers there. */
async function staleSocket(path: string): Promise<void> {
  const moved = `${path}.tmp`;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(moved, resolve));
  renameSync(moved, path);
  await new Promise((resolve) => server.close(resolve));
}

describe('ApiServer', () => {
  it('creates the socket 0600, without touching the process umask, and removes it on close', async () => {
    writeFileSync(join(dir, 'before'), '');
    const { api } = await proxyApi();
    writeFileSync(join(dir, 'after'), '');
    const st = statSync(api.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'after')).mode & 0o777).toBe(statSync(join(dir, 'before')).mode & 0o777);
    await api.close();
    expect(existsSync(api.path)).toBe(false);
    await api.close();
  });

  it('answers line by line; an error is one line and the connection stays usable', async () => {
    const { api } = await proxyApi();
    const c = await client(api.path);
    expect(await c.send('show servers state')).toEqual({
      ok: true,
      lines: ['# backend server address admin weight injected check effective current', 'main s1 127.0.0.1:9001 ready 1 auto none up 0', 'main s2 127.0.0.1:9002 ready 1 auto none up 0'],
    });
    expect(await c.send('bogus words')).toEqual({ ok: false, lines: ["error: unknown command 'bogus words' (try help)"], error: "unknown command 'bogus words' (try help)" });
    expect(await c.send('disable server main/s2')).toMatchObject({ ok: true, lines: ['main/s2: admin maint, weight 1, health auto, check none -> maint'] });
    expect(JSON.parse((await c.send('show servers state --json')).lines[0]!)[1]).toMatchObject({ server: 's2', admin: 'maint' });
    // Pipelined, on the wire: replies in order, each ended by one empty line.
    const text = await raw(api.path, 'show pool\r\nnope\n\nenable server main/s2\n', 4);
    expect(text).toBe(
      'buffers: 1024 of 65536 bytes, 1024 free, 0 in use (peak 0), 0 waiting, 0 waits\npipes: 0 in use, 0 idle, 0 created\n\n' +
        "error: unknown command 'nope' (try help)\n\n" +
        'error: empty command (try help)\n\n' +
        'main/s2: admin ready, weight 1, health auto, check none -> up\n\n',
    );
  });

  it('a client that sends its lines and half-closes (printf ... | socat) gets every reply, then EOF', async () => {
    const { api } = await proxyApi();
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(api.path);
      let received = '';
      const timer = setTimeout(() => (socket.destroy(), reject(new Error('no EOF within 5 s'))), 5000);
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.end('show servers state main\nnope\n'));
      socket.on('data', (c: string) => (received += c));
      socket.on('error', reject);
      socket.on('close', () => (clearTimeout(timer), resolve(received)));
    });
    expect(text).toMatch(/^# backend server [^\n]*\nmain s1 [^\n]*\nmain s2 [^\n]*\n\nerror: unknown command 'nope' \(try help\)\n\n$/);
  });

  it('a line over 4 KiB gets one error line, whatever its length, and the next line is answered', async () => {
    const { api } = await proxyApi();
    const text = await raw(api.path, `${'x'.repeat(5000)}\n${'y'.repeat(300_000)}\nshow servers state main\n`, 3);
    const replies = text.split('\n\n');
    expect(replies[0]).toBe('error: line too long (over 4096 bytes): ignored up to the next newline');
    expect(replies[1]).toBe(replies[0]);
    expect(replies[2]).toMatch(/^# backend server/);
  });

  it('at maxClients a new connection is told so and closed; a freed slot serves again', async () => {
    const { api } = await proxyApi({ maxClients: 2 });
    const first = await client(api.path);
    await client(api.path);
    await until(() => api.clientCount === 2, 'two clients');
    const third = await client(api.path);
    expect(await third.send('help')).toMatchObject({ ok: false, error: 'too many clients (2): try again later' });
    first.close();
    await until(() => api.clientCount === 1, 'a free slot');
    expect((await apiRequest(api.path, 'show info')).ok).toBe(true);
  });

  it('closes idle connections, but not while a slow command runs; a command that never answers gets an error line', async () => {
    let release!: () => void;
    const slow: ApiTarget = {
      ...proxyTarget(await fakeProxy()),
      stats: () => new Promise((resolve) => setTimeout(() => resolve({ pool: { bufferSize: 1, buffers: 1, free: 1, inUse: 0, peakInUse: 0, waiting: 0, waits: 0 }, pipes: { inUse: 0, idle: 0, created: 0 } } as never), 300)),
      info: () => new Promise((resolve) => (release = () => resolve({} as never))),
    };
    const api = await ApiServer.start({ path: socketPath(), target: slow, idleTimeoutMs: 100, commandTimeoutMs: 400 });
    cleanup.push(() => api.close());
    const c = await client(api.path);
    expect((await c.send('show pool')).lines[0]).toBe('buffers: 1 of 1 bytes, 1 free, 0 in use (peak 0), 0 waiting, 0 waits');
    expect(await c.send('show info')).toMatchObject({ ok: false, error: 'no answer within 400ms' });
    release();
    expect((await c.send('show servers state')).ok).toBe(true);
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const idle = connect(api.path);
      const timer = setTimeout(() => (idle.destroy(), reject(new Error('the idle connection was not closed within 3 s'))), 3000);
      idle.on('error', () => undefined);
      idle.on('close', () => (clearTimeout(timer), resolve()));
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('removes a stale socket file; refuses a live socket, a non-socket and impossible paths', async () => {
    const stale = socketPath();
    await staleSocket(stale);
    expect(statSync(stale).isSocket()).toBe(true);
    const api = await ApiServer.start({ path: stale, target: {} as ApiTarget });
    cleanup.push(() => api.close());
    expect(statSync(stale).mode & 0o777).toBe(0o600);

    await expect(ApiServer.start({ path: stale, target: {} as ApiTarget })).rejects.toMatchObject({
      code: 'E_PROXY',
      message: `cannot serve the runtime API on ${stale}: another process serves the runtime API there (stop the other proxy, or pick another path)`,
    });
    const other: Server = createServer();
    const live = socketPath();
    await new Promise<void>((resolve) => other.listen(live, resolve));
    cleanup.push(() => new Promise((resolve) => other.close(resolve)));
    await expect(ApiServer.start({ path: live, target: {} as ApiTarget })).rejects.toThrow(/another process serves the runtime API there/);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    await expect(ApiServer.start({ path: file, target: {} as ApiTarget })).rejects.toThrow(/the path exists and is not a socket/);
    await expect(ApiServer.start({ path: join(dir, 'no', 'such', 'dir.sock'), target: {} as ApiTarget })).rejects.toThrow(/its directory does not exist \(ENOENT\)$/);
    await expect(ApiServer.start({ path: `/tmp/${'x'.repeat(120)}`, target: {} as ApiTarget })).rejects.toThrow(/is 125 bytes; unix sockets allow 107/);
  });
});

describe('ApiClient errors', () => {
  it('no socket or nothing listening: exit code 4; a newline in a command: usage error', async () => {
    await expect(apiRequest(join(dir, 'missing.sock'), 'help')).rejects.toMatchObject({ code: 'E_PROXY', exitCode: 4, message: expect.stringMatching(/no such socket/) });
    const stale = socketPath();
    await staleSocket(stale);
    await expect(apiRequest(stale, 'help')).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/nothing listens on it/) });
    const { api } = await proxyApi();
    await expect(apiRequest(api.path, 'help\nshow info')).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('another user cannot connect (EACCES): exit code 5', async () => {
    const { api } = await proxyApi();
    if (process.getuid?.() === 0) {
      // root passes any mode: ask as nobody, in a child, with the directory open to it.
      chmodSync(dir, 0o755);
      const script = `require('net').connect(${JSON.stringify(api.path)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('child did not finish in 10 s'))), 10_000);
        child.stdout.on('data', (c: Buffer) => (text += c.toString()));
        child.on('close', () => (clearTimeout(timer), resolve(text.trim())));
      });
      chmodSync(dir, 0o700);
      expect(out).toBe('EACCES');
    } else {
      chmodSync(api.path, 0o000);
      await expect(apiRequest(api.path, 'help')).rejects.toMatchObject({ code: 'E_PERMISSION', exitCode: 5 });
    }
  });
});
