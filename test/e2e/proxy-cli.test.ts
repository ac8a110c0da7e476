/**
 * `qplug proxy` as users run it: the built CLI (node bin/qplug.js) against a
 * Node echo server on 127.0.0.1:0. Needs `npm run build:ts`; the parts that
 * move bytes need the native engine (`npm run build:native`).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable, loadNative } from '../../src/native/loadNative.js';
import { roundTrip as roundTripWithin } from '../helpers/net.js';

const roundTrip = (port: number, payload: Buffer) => roundTripWithin(port, payload, 10_000);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'qplug.js');
const env = { ...process.env, FORCE_COLOR: '0' };
const realEngine = nativeAvailable() && typeof loadNative().ProxyEngine === 'function';

function qplug(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'qplug-proxy-e2e-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const children: ChildProcess[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Server-side sockets, destroyed after each test so close() never waits on them. */
const sockets = new Set<Socket>();
function track(socket: Socket): Socket {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  return socket.on('error', () => undefined);
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qplug proxy check and errors (no engine needed)', () => {
  it('check: a valid file exits 0 and prints the normalised config; --json parses', () => {
    const r = qplug(['proxy', 'check', '-c', join(root, 'examples', 'proxy.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# .*proxy\.yaml: valid: 1 frontend, 1 backend, 2 servers \(1 health-checked\)/);
    expect(r.stdout).toMatch(/connectTimeoutMs: 2000/);
    const json = qplug(['proxy', 'check', '-c', join(root, 'examples', 'proxy.yaml'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ global: { poolBuffers: 1024 }, frontends: [{ name: 'web', port: 8080 }] });
  });

  it('check: a bad file exits 2 with one located line per problem and no stack', () => {
    const bad = file('bad.yaml', 'frontends:\n  web: { bind: 127.0.0.1:8080, bakend: app }\nbackends:\n  app:\n    servers: [{ name: s1, address: 127.0.0.1:0 }]\n');
    for (const args of [['proxy', 'check', '-c', bad], ['proxy', '-c', bad]]) {
      const r = qplug(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `qplug: ${bad}:2:3: frontends.web: missing 'backend' (the backend to send connections to, e.g. backend: app) [E_CONFIG]`,
        `qplug: ${bad}:2:32: frontends.web.bakend: unknown key 'bakend' (did you mean 'backend'?) [E_CONFIG]`,
        `qplug: ${bad}:5:36: backends.app.servers[0].address: port 0 is out of range (use 1..65535) [E_CONFIG]`,
      ]);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    const json = qplug(['proxy', 'check', '-c', bad, '--json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'E_CONFIG', exitCode: 2, problems: expect.arrayContaining([expect.stringMatching(/bakend/)]) });
  });

  it('flag mistakes are usage errors (exit 2): -c with --listen, nothing to proxy, a bad address', () => {
    expect(qplug(['proxy', '-c', 'x.yaml', '--listen', '127.0.0.1:1']).stderr).toMatch(/mutually exclusive/);
    const none = qplug(['proxy']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to proxy: give a config file \(-c proxy\.yaml\) or --listen/);
    const bad = qplug(['proxy', '--listen', 'localhost:80', '--backend', '127.0.0.1:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--listen 'localhost' is not an IP address/);
    expect(qplug(['proxy', 'check']).code).toBe(2);
  });

  it('--help shows both forms with examples and the exit codes', () => {
    const r = qplug(['proxy', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/qplug proxy -c proxy\.yaml/);
    expect(r.stdout).toMatch(/--listen 127\.0\.0\.1:8080 --backend/);
    expect(r.stdout).toMatch(/qplug proxy check/);
    expect(r.stdout).toMatch(/Exit codes/);
  });
});

async function echoServer(): Promise<number> {
  const server = createServer((socket) => track(socket).pipe(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}


/** Start `qplug proxy ...`; resolves with the child and its first stdout line (the ready line). */
function startProxy(args: string[]) {
  const child = spawn(process.execPath, [bin, 'proxy', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 15 s; stderr: ${stderr}`)), 15_000);
    const check = () => {
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve(stdout.slice(0, nl));
    };
    child.stdout!.on('data', check);
    void exited.then(() => (clearTimeout(timer), reject(new Error(`exited before ready; stderr: ${stderr}`))));
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    child.kill(signal);
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000))]);
    return { code, stdout, stderr };
  };
  return { child, firstLine, exited, stop, output: () => ({ stdout, stderr }) };
}

describe.skipIf(!realEngine)('qplug proxy with the native engine [skipped until the addon has ProxyEngine: npm run build:native]', () => {
  for (const splice of [false, true]) {
    it(`proxies real data (${splice ? '--splice' : 'copy'}); SIGTERM prints the summary and exits 0`, async () => {
      const upstream = await echoServer();
      const proxy = startProxy(['--listen', '127.0.0.1:0', '--backend', `127.0.0.1:${upstream}`, '--json', '--grace', '1s', ...(splice ? ['--splice'] : [])]);
      const ready = JSON.parse(await proxy.firstLine);
      expect(ready).toMatchObject({ event: 'ready', frontends: [{ name: 'main', host: '127.0.0.1', backend: 'main', servers: 1, splice }] });
      const port = ready.frontends[0].port as number;
      expect(port).toBeGreaterThan(0);
      const payload = Buffer.alloc(1_000_000);
      for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
      for (let i = 0; i < 3; i++) expect((await roundTrip(port, payload)).equals(payload)).toBe(true);
      const { code, stdout, stderr } = await proxy.stop();
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(last).toMatchObject({ event: 'stopped', reason: 'SIGTERM', bytesIn: 3 * payload.length, bytesOut: 3 * payload.length, connections: { total: 3 }, results: { ok: 3 } });
    });
  }

  it('plain output: a ready line per frontend, health transitions, and a summary line', async () => {
    const upstream = await echoServer();
    const config = file(
      'two.yaml',
      `global: { grace: 500ms }\nfrontends:\n  web: { bind: 127.0.0.1:0, backend: app, splice: true }\nbackends:\n  app:\n    splice: true\n    check: { interval: 50ms, timeout: 500ms, rise: 1, fall: 1 }\n    servers:\n      - { name: s1, address: 127.0.0.1:${upstream} }\n      - { name: s2, address: 127.0.0.1:1 }\n`,
    );
    const proxy = startProxy(['-c', config]);
    const ready = await proxy.firstLine;
    expect(ready).toMatch(/^proxy: web listening on 127\.0\.0\.1:\d+ -> app \(2 servers, splice\)$/);
    const port = Number(/:(\d+) ->/.exec(ready)![1]);
    const deadline = Date.now() + 10_000;
    while (!proxy.output().stdout.includes('is DOWN') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(proxy.output().stdout).toMatch(/proxy: server app\/s2 is DOWN: connect ECONNREFUSED \(1 failure\)/);
    expect((await roundTrip(port, Buffer.from('ping'))).toString()).toBe('ping');
    const { code, stdout } = await proxy.stop('SIGINT');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^proxy: stopped \(SIGINT\) after [\d.]+m?s: 1 connection \(1 ok\), 4B in, 4B out$/);
  });

  it('a connection still open at SIGTERM is aborted after the grace (exit 0); a second signal exits at once (130)', async () => {
    // An upstream that accepts and never answers nor closes.
    const silent = createServer((socket) => void track(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const upstream = (silent.address() as { port: number }).port;
    const openClient = async (port: number) => {
      const client = connect(port, '127.0.0.1');
      client.on('error', () => undefined);
      await new Promise((resolve) => client.once('connect', resolve));
      client.write('x');
      return client;
    };

    const graceful = startProxy(['--listen', '127.0.0.1:0', '--backend', `127.0.0.1:${upstream}`, '--grace', '300ms', '--json']);
    const client = await openClient(JSON.parse(await graceful.firstLine).frontends[0].port);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const done = await graceful.stop();
    client.destroy();
    expect(done.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.parse(done.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'stopped', results: { stopped: 1 } });

    const impatient = startProxy(['--listen', '127.0.0.1:0', '--backend', `127.0.0.1:${upstream}`, '--grace', '60s']);
    const port = Number(/:(\d+) ->/.exec(await impatient.firstLine)![1]);
    const held = await openClient(port);
    await new Promise((resolve) => setTimeout(resolve, 200));
    impatient.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const forced = await impatient.stop('SIGINT');
    held.destroy();
    expect(forced.code).toBe(130);
    expect(forced.stdout).toMatch(/proxy: SIGINT again: exiting now, without waiting for open connections/);
  });

  it('a port in use: exit 1, one line naming the frontend and the remedy', async () => {
    const taken = await echoServer();
    const r = qplug(['proxy', '--listen', `127.0.0.1:${taken}`, '--backend', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`qplug: cannot listen on 127.0.0.1:${taken} for frontend main: address in use (EADDRINUSE): pick another port or stop what holds it [E_PROXY]`);
  });
});
