/**
 * Reloads of `qplug proxy` as users run them: the built CLI (a master that
 * forks its engine into a worker) against a Node echo server on 127.0.0.1:0.
 * Every strategy serves again after a reload; a connection open across a
 * handoff keeps working; a bad config file leaves the old worker serving and
 * names the faulty lines; server state survives a handoff.
 * Needs `npm run build` (the worker is dist/proxy/reload/worker.js and the
 * handoff needs the native sendFds/receiveFds).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAvailable, loadNative } from '../../src/native/loadNative.js';
import { apiRequest } from '../../src/proxy/api/client.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'qplug.js');
const env = { ...process.env, FORCE_COLOR: '0' };
const ready = nativeAvailable() && typeof loadNative().ProxyEngine === 'function' && typeof loadNative().sendFds === 'function';

const dir = mkdtempSync(join(tmpdir(), 'qplug-reload-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const file = (text: string): string => {
  const path = join(dir, `proxy-${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
};

const children: ChildProcess[] = [];
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  // The workers follow their master: they stop when its IPC channel goes.
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function qplug(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function echoServer(): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no echo within 10 s'))), 10_000);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (got += c));
    socket.on('error', (e) => (clearTimeout(timer), reject(e)));
    socket.on('close', () => (clearTimeout(timer), resolve(got)));
  });
}

interface Started {
  child: ChildProcess;
  ready: Promise<{ frontends: Array<{ port: number }>; workerPid: number; pid: number }>;
  /** Resolves with the first JSON line whose event is one of `events`, after `after` such lines were seen. */
  event: (events: string[], timeoutMs?: number) => Promise<Record<string, unknown>>;
  stop: () => Promise<{ code: number | null; stdout: string }>;
  stdout: () => string;
}

function startProxy(args: string[]): Started {
  const child = spawn(process.execPath, [bin, 'proxy', ...args, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (c) => {
    stdout += c;
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const seen = new Map<string, number>();
  const event = (events: string[], timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const key = events.join(',');
      const skip = seen.get(key) ?? 0;
      const check = () => {
        const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
        const match = lines.filter((l) => events.includes(String(l.event)))[skip];
        if (!match) return;
        seen.set(key, skip + 1);
        done(() => resolve(match));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${key} event within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`))), timeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      void exited.then(() => done(() => reject(new Error(`the proxy exited; stdout: ${stdout}; stderr: ${stderr}`))));
      check();
    });
  const readyEvent = event(['ready']) as unknown as Started['ready'];
  return {
    child,
    ready: readyEvent,
    event,
    stdout: () => stdout,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
      return { code: code === 'timeout' ? null : code, stdout };
    },
  };
}

const config = (upstream: number, extra = '') =>
  `global: { grace: 2s${extra} }\nfrontends:\n  web: { bind: 127.0.0.1:0, backend: app }\nbackends:\n  app:\n    servers:\n      - { name: s1, address: 127.0.0.1:${upstream} }\n      - { name: s2, address: 127.0.0.1:${upstream} }\n`;

describe.skipIf(!ready)('qplug proxy reload [skipped without the native engine and fd passing: npm run build]', () => {
  for (const strategy of ['restart', 'reuseport', 'handoff'] as const) {
    it(`${strategy}: SIGUSR2 reloads into a new worker on the same port, which serves`, async () => {
      const upstream = await echoServer();
      const proxy = startProxy(['-c', file(config(upstream, `, reload_strategy: ${strategy}`))]);
      const first = await proxy.ready;
      const port = first.frontends[0]!.port;
      expect(first.workerPid).not.toBe(first.pid);
      expect(await roundTrip(port, 'before')).toBe('before');
      proxy.child.kill('SIGUSR2');
      const reloaded = await proxy.event(['reloaded', 'reload-failed']);
      expect(reloaded).toMatchObject({ event: 'reloaded', strategy, oldPid: first.workerPid });
      expect(reloaded.newPid).not.toBe(first.workerPid);
      expect(await roundTrip(port, 'after')).toBe('after');
      expect(await proxy.event(['worker-exited'])).toMatchObject({ pid: first.workerPid, reason: 'drained' });
      const { code, stdout } = await proxy.stop();
      expect(code).toBe(0);
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'stopped', reason: 'SIGTERM' });
    });
  }

  it('`qplug proxy reload --api`: returns once the new worker serves; a connection open across the handoff keeps working', async () => {
    const upstream = await echoServer();
    const api = join(dir, 'reload.sock');
    const proxy = startProxy(['-c', file(config(upstream, `, api: ${api}`))]);
    const first = await proxy.ready;
    const port = first.frontends[0]!.port;
    expect(statSync(api).mode & 0o777).toBe(0o600);
    const held = connect(port, '127.0.0.1');
    held.setEncoding('utf8');
    await new Promise((resolve) => held.once('connect', resolve));
    const r = qplug(['proxy', 'reload', '--api', api, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const reply = JSON.parse(r.stdout) as { strategy: string; oldPid: number; newPid: number; ms: number };
    expect(reply).toMatchObject({ strategy: 'handoff', oldPid: first.workerPid });
    expect(reply.ms).toBeGreaterThan(0);
    expect(await roundTrip(port, 'new')).toBe('new');
    // The old worker drains: the established connection still relays.
    const echoed = new Promise<string>((resolve) => held.once('data', (d: string) => resolve(d)));
    held.write('held');
    expect(await echoed).toBe('held');
    held.destroy();
    const text = qplug(['proxy', 'reload', '--api', api, '--strategy', 'reuseport']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^reloaded \\(reuseport\\) in \\d+ms: worker ${reply.newPid} -> \\d+\\n$`));
    expect((await proxy.stop()).code).toBe(0);
  });

  it('a bad config file: the reload fails with the located problem and the old worker keeps serving', async () => {
    const upstream = await echoServer();
    const api = join(dir, 'bad.sock');
    const path = file(config(upstream, `, api: ${api}`));
    const proxy = startProxy(['-c', path]);
    const first = await proxy.ready;
    const port = first.frontends[0]!.port;
    writeFileSync(path, `global: { grace: 2s, api: ${api} }\nfrontends:\n  web: { bind: 127.0.0.1:0, bakend: app }\nbackends:\n  app:\n    servers: [{ name: s1, address: 127.0.0.1:${upstream} }]\n`);
    const r = qplug(['proxy', 'reload', '--api', api]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`reload failed: .*${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: frontends\\.web\\.bakend: unknown key 'bakend'`));
    const failed = await proxy.event(['reload-failed']);
    expect(failed).toMatchObject({ workerPid: first.workerPid, problems: expect.arrayContaining([expect.stringMatching(/:3:\d+: frontends\.web\.bakend/)]) });
    expect(await roundTrip(port, 'still')).toBe('still');
    expect(JSON.parse((await apiRequest(api, 'show info --json')).lines[0]!)).toMatchObject({ pid: first.workerPid });
    // Fixed, the next reload goes through.
    writeFileSync(path, config(upstream, `, api: ${api}`));
    expect(qplug(['proxy', 'reload', '--api', api]).code).toBe(0);
    expect(await roundTrip(port, 'fixed')).toBe('fixed');
    expect((await proxy.stop()).code).toBe(0);
  });

  it('admin state, weights and injected health survive a handoff reload (show servers state in the new worker)', async () => {
    const upstream = await echoServer();
    const api = join(dir, 'state.sock');
    const proxy = startProxy(['-c', file(config(upstream, `, api: ${api}`))]);
    const first = await proxy.ready;
    for (const command of ['disable server app/s1', 'set weight app/s2 7', 'set server app/s2 health down']) {
      const reply = await apiRequest(api, command);
      expect(reply.ok, `${command}: ${reply.error}`).toBe(true);
    }
    const state = async () =>
      (JSON.parse((await apiRequest(api, 'show servers state --json')).lines[0]!) as Array<Record<string, unknown>>).map(({ backend, server, admin, weight, injected, effective }) => ({
        backend,
        server,
        admin,
        weight,
        injected,
        effective,
      }));
    const before = await state();
    expect(before).toEqual([
      { backend: 'app', server: 's1', admin: 'maint', weight: 1, injected: 'auto', effective: 'maint' },
      { backend: 'app', server: 's2', admin: 'ready', weight: 7, injected: 'down', effective: 'down' },
    ]);
    const r = qplug(['proxy', 'reload', '--api', api, '--strategy', 'handoff', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { newPid } = JSON.parse(r.stdout) as { newPid: number };
    expect(newPid).not.toBe(first.workerPid);
    expect(JSON.parse((await apiRequest(api, 'show info --json')).lines[0]!)).toMatchObject({ pid: newPid, master: { reloads: 1 } });
    expect(await state()).toEqual(before);
    expect((await proxy.stop()).code).toBe(0);
  });

  it('the one-line form takes --reload-strategy; -c with it is a usage error', () => {
    const r = qplug(['proxy', '-c', 'x.yaml', '--reload-strategy', 'restart']);
    expect(r.code).toBe(2);
    expect(qplug(['proxy', '--listen', '127.0.0.1:0', '--backend', '127.0.0.1:1', '--reload-strategy', 'sideways']).code).toBe(2);
    expect(qplug(['proxy', 'reload', '--help']).stdout).toMatch(/--strategy/);
  });
});
