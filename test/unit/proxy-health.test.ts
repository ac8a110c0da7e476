/**
 * Health checks against real TCP servers on 127.0.0.1 that the tests start
 * and stop, with fast intervals. Every wait is bounded.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:net';
import { HealthChecker, effectiveEnabled, tcpProbe, type HealthTransition, type Probe } from '../../src/proxy/health.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import type { ProxyConfig } from '../../src/proxy/configSchema.js';

const servers: Server[] = [];
const checkers: HealthChecker[] = [];

afterEach(async () => {
  for (const c of checkers.splice(0)) c.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(port = 0): Promise<Server> {
  const server = createServer((socket) => socket.on('error', () => undefined).end());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  servers.push(server);
  return server;
}

const portOf = (s: Server) => (s.address() as { port: number }).port;

async function close(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
}

/** A port nothing listens on (bound once, then closed). */
async function freePort(): Promise<number> {
  const s = await listen();
  const port = portOf(s);
  await close(s);
  return port;
}

function config(ports: number[], check = '{ interval: 50ms, timeout: 200ms, rise: 2, fall: 3 }', extra = ''): ProxyConfig {
  const list = ports.map((p, i) => `      - { name: s${i + 1}, address: 127.0.0.1:${p}${i === 2 ? extra : ''} }`).join('\n');
  return parseProxyConfig(`frontends:\n  web: { bind: 127.0.0.1:0, backend: app }\nbackends:\n  app:\n    check: ${check}\n    servers:\n${list}\n`, 'h.yaml');
}

function start(cfg: ProxyConfig, probe?: Probe) {
  const transitions: HealthTransition[] = [];
  const calls: Array<[string, string, boolean]> = [];
  const checker = new HealthChecker(cfg.backends, {
    setEnabled: (b, s, enabled) => calls.push([b, s, enabled]),
    onTransition: (t) => transitions.push(t),
    probe,
  });
  checkers.push(checker);
  checker.start();
  return { checker, transitions, calls };
}

// Captured before any test spies on setTimeout, so waiting adds no timers to what is counted.
const sleep = ((realSetTimeout) => (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms)))(globalThis.setTimeout);

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(10);
  }
}

describe('health checks', () => {
  it('servers start UP; a dead one goes DOWN after `fall` failures and UP again after `rise` successes', async () => {
    const port = await freePort();
    const { checker, transitions, calls } = start(config([port]));
    expect(checker.get('app', 's1')).toMatchObject({ check: 'up', enabled: true });
    await until(() => transitions.length === 1, 'the DOWN transition');
    expect(transitions[0]).toMatchObject({ backend: 'app', server: 's1', state: 'down', reason: 'connect ECONNREFUSED', count: 3 });
    expect(transitions[0]!.message).toBe('server app/s1 is DOWN: connect ECONNREFUSED (3 failures)');
    expect(calls).toEqual([['app', 's1', false]]);
    expect(checker.get('app', 's1')).toMatchObject({ check: 'down', consecutiveFailures: 3, consecutiveSuccesses: 0, lastError: 'connect ECONNREFUSED', enabled: false });

    await listen(port);
    await until(() => transitions.length === 2, 'the UP transition');
    expect(transitions[1]!.message).toBe('server app/s1 is UP: connect ok (2 successes)');
    expect(calls).toEqual([
      ['app', 's1', false],
      ['app', 's1', true],
    ]);
    expect(checker.get('app', 's1')).toMatchObject({ check: 'up', consecutiveFailures: 0, lastError: null, enabled: true });
  });

  it('a healthy server stays UP without any setServer call; failures short of `fall` change nothing', async () => {
    const up = await listen();
    const { checker, transitions, calls } = start(config([portOf(up)], '{ interval: 10ms, timeout: 200ms, rise: 1, fall: 3 }'));
    await until(() => (checker.get('app', 's1')?.checks ?? 0) >= 3, 'three real checks');
    expect(checker.get('app', 's1')).toMatchObject({ check: 'up', lastError: null, consecutiveFailures: 0 });
    checker.stop();
    // ok, fail, fail, ok, fail, fail...: never three failures in a row.
    let n = 0;
    const flaky: Probe = async () => (n++ % 3 === 0 ? { ok: true } : { ok: false, error: 'connect ECONNRESET' });
    const second = start(config([1], '{ interval: 5ms, timeout: 200ms, rise: 1, fall: 3 }'), flaky);
    await until(() => n >= 9, 'nine checks');
    expect(second.checker.get('app', 's1')!.check).toBe('up');
    expect([...transitions, ...second.transitions, ...calls, ...second.calls]).toEqual([]);
  });

  it('rise 1 / fall 1: one result flips the state', async () => {
    let ok = false;
    const probe: Probe = async () => (ok ? { ok: true } : { ok: false, error: 'connect ECONNREFUSED' });
    const { transitions } = start(config([1], '{ interval: 10ms, timeout: 100ms, rise: 1, fall: 1 }'), probe);
    await until(() => transitions.length === 1, 'DOWN');
    ok = true;
    await until(() => transitions.length === 2, 'UP');
    expect(transitions.map((t) => t.message)).toEqual(['server app/s1 is DOWN: connect ECONNREFUSED (1 failure)', 'server app/s1 is UP: connect ok (1 success)']);
  });

  it('servers with check: false are never probed and report check none', async () => {
    const probed: number[] = [];
    const probe: Probe = async (_h, port) => {
      probed.push(port);
      return { ok: true };
    };
    const { checker } = start(config([1001, 1002, 1003], undefined, ', check: false'), probe);
    await until(() => probed.filter((p) => p === 1001).length >= 3, 'three checks of s1');
    expect(probed).not.toContain(1003);
    expect(checker.get('app', 's3')).toMatchObject({ check: 'none', checks: 0, enabled: true });
    expect(checker.snapshot().map((h) => h.check)).toEqual(['up', 'up', 'none']);
  });

  it('a backend without check: has every server at none and starts no timer', () => {
    const cfg = parseProxyConfig('frontends:\n  w: { bind: 127.0.0.1:0, backend: b }\nbackends:\n  b: { servers: [{ name: s, address: 127.0.0.1:1 }] }\n');
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const { checker } = start(cfg);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(checker.snapshot()).toEqual([{ backend: 'b', server: 's', check: 'none', consecutiveSuccesses: 0, consecutiveFailures: 0, lastError: null, checks: 0, enabled: true }]);
  });

  it('never runs two checks of one server at once, even when a check takes longer than the interval', async () => {
    let concurrent = 0;
    let peak = 0;
    let done = 0;
    const slow: Probe = async () => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      await new Promise((resolve) => setTimeout(resolve, 40));
      concurrent--;
      done++;
      return { ok: true };
    };
    start(config([2001], '{ interval: 5ms, timeout: 500ms, rise: 1, fall: 1 }'), slow);
    await until(() => done >= 5, 'five slow checks');
    expect(peak).toBe(1);
  });

  it('a probe that hangs fails at the check timeout and is aborted', async () => {
    const aborted: boolean[] = [];
    const hang: Probe = (_h, _p, _t, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => (aborted.push(true), resolve({ ok: false, error: 'aborted' }))));
    const { checker } = start(config([3001], '{ interval: 20ms, timeout: 30ms, rise: 1, fall: 5 }'), hang);
    await until(() => (checker.get('app', 's1')?.checks ?? 0) >= 2, 'two timed-out checks');
    expect(checker.get('app', 's1')!.lastError).toBe('connect timeout after 30ms');
    expect(aborted.length).toBeGreaterThanOrEqual(2);
  });

  it('stop() clears every timer and aborts the probe in flight; nothing is recorded after it', async () => {
    const created: NodeJS.Timeout[] = [];
    const real = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const t = real(fn, ms);
      created.push(t);
      return t;
    }) as typeof setTimeout);
    let inFlight = 0;
    let abortedInFlight = 0;
    const probe: Probe = (_h, _p, _t, signal) =>
      new Promise((resolve) => {
        inFlight++;
        const t = real(() => resolve({ ok: true }), 15);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          abortedInFlight++;
          resolve({ ok: false, error: 'aborted' });
        });
      });
    const { checker } = start(config([4001, 4002], '{ interval: 10ms, timeout: 100ms, rise: 1, fall: 1 }'), probe);
    await until(() => inFlight >= 6, 'a few checks');
    // Unref'd: a running checker never holds the process (or the vitest worker) open.
    expect(created.filter((t) => t.hasRef())).toEqual([]);
    checker.stop();
    spy.mockRestore();
    const checksAtStop = checker.snapshot().map((h) => h.checks);
    await new Promise((resolve) => real(resolve, 60));
    expect(checker.snapshot().map((h) => h.checks)).toEqual(checksAtStop);
    expect(created.length).toBeGreaterThan(0);
    // A fired or cleared Node timer is marked destroyed.
    expect(created.filter((t) => !(t as unknown as { _destroyed: boolean })._destroyed)).toEqual([]);
    expect(abortedInFlight).toBeGreaterThan(0);
  });

  it('the TCP probe: ok against a listener, the errno name when refused, and a prompt failure when aborted', async () => {
    const up = await listen();
    const signal = new AbortController().signal;
    await expect(tcpProbe('127.0.0.1', portOf(up), 1000, signal)).resolves.toEqual({ ok: true });
    await expect(tcpProbe('127.0.0.1', await freePort(), 1000, signal)).resolves.toEqual({ ok: false, error: 'connect ECONNREFUSED' });
    const abort = new AbortController();
    const pending = tcpProbe('127.0.0.1', portOf(up), 1000, abort.signal);
    abort.abort();
    await expect(pending).resolves.toMatchObject({ ok: false });
  });

  it('the effective state lives in one function', () => {
    expect(effectiveEnabled({ check: 'up' })).toBe(true);
    expect(effectiveEnabled({ check: 'none' })).toBe(true);
    expect(effectiveEnabled({ check: 'down' })).toBe(false);
  });
});
