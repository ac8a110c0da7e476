/**
 * Operational state: admin ready/maint, weight, injected health, and the one
 * function that combines them with the checks; export from one Proxy and
 * import into the next (what a reload does), over the fake engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runApiLine } from '../../src/proxy/api/commands.js';
import { proxyTarget } from '../../src/proxy/api/target.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { effectiveEnabled, effectiveState, type Probe } from '../../src/proxy/health.js';
import { Proxy, type ProxyStartOptions } from '../../src/proxy/Proxy.js';
import type { NativeEngineOptions } from '../../src/native/AddonTypes.js';
import { FakeProxyEngine } from './proxy-fake-engine.js';

const CONFIG = `
frontends:
  web: { bind: 127.0.0.1:0, backend: app }
backends:
  app:
    check: { interval: 10ms, timeout: 100ms, rise: 2, fall: 1 }
    servers:
      - { name: s1, address: 127.0.0.1:9001, weight: 3 }
      - { name: s2, address: 127.0.0.1:9002 }
      - { name: s3, address: 127.0.0.1:9003, check: false }
`;

/** Records the order of engine calls, to see that imported state comes before any listener. */
class LoggingEngine extends FakeProxyEngine {
  readonly log: string[] = [];
  override addFrontend(spec: Parameters<FakeProxyEngine['addFrontend']>[0]) {
    this.log.push(`addFrontend ${spec.name}`);
    return super.addFrontend(spec);
  }
  override setServer(backend: string, server: string, change: { enabled?: boolean; weight?: number }) {
    this.log.push(`setServer ${backend}/${server} ${JSON.stringify(change)}`);
    super.setServer(backend, server, change);
  }
  override start() {
    this.log.push('start');
    super.start();
  }
}

const running: Proxy[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop({ graceMs: 0 })));
});

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let s1Up = true;
const probe: Probe = async (_host, port) => (port !== 9001 || s1Up ? { ok: true } : { ok: false, error: 'connect ECONNREFUSED' });

async function start(options: ProxyStartOptions = {}, text = CONFIG): Promise<{ proxy: Proxy; engine: LoggingEngine }> {
  let engine: LoggingEngine | undefined;
  const proxy = await Proxy.start(parseProxyConfig(text, 'state.yaml'), {
    engineFactory: (o: NativeEngineOptions) => (engine = new LoggingEngine(o)),
    probe,
    ...options,
  });
  running.push(proxy);
  return { proxy, engine: engine! };
}

const effective = (proxy: Proxy, server: string) => proxy.serverState().find((r) => r.server === server)!;

describe('effectiveState: the one place that decides', () => {
  it('maintenance always wins, then injected health, then the checks', () => {
    expect(effectiveState({ check: 'up' })).toBe('up');
    expect(effectiveState({ check: 'none' })).toBe('up');
    expect(effectiveState({ check: 'down' })).toBe('down');
    expect(effectiveState({ admin: 'maint', injected: 'up', check: 'up' })).toBe('maint');
    expect(effectiveState({ admin: 'ready', injected: 'up', check: 'down' })).toBe('up');
    expect(effectiveState({ admin: 'ready', injected: 'down', check: 'up' })).toBe('down');
    expect(effectiveState({ admin: 'ready', injected: 'auto', check: 'down' })).toBe('down');
    expect(effectiveEnabled({ admin: 'maint', check: 'none' })).toBe(false);
    expect(effectiveEnabled({ injected: 'up', check: 'down' })).toBe(true);
  });
});

describe('operational state on a Proxy', () => {
  it('injected health overrides the checks until auto; maintenance disables whatever the health', async () => {
    s1Up = false;
    const { proxy, engine } = await start();
    await until(() => effective(proxy, 's1').check === 'down', 's1 checked down');
    expect(effective(proxy, 's1').effective).toBe('down');
    proxy.setHealth('app', 's1', 'up');
    expect(effective(proxy, 's1')).toMatchObject({ injected: 'up', check: 'down', effective: 'up' });
    proxy.setAdmin('app', 's1', 'maint');
    expect(effective(proxy, 's1')).toMatchObject({ admin: 'maint', effective: 'maint' });
    proxy.setAdmin('app', 's1', 'ready');
    s1Up = true;
    await until(() => effective(proxy, 's1').check === 'up', 's1 checked up again');
    proxy.setHealth('app', 's1', 'down');
    expect(effective(proxy, 's1').effective).toBe('down');
    proxy.setHealth('app', 's1', 'auto');
    expect(effective(proxy, 's1').effective).toBe('up');
    const s1Calls = engine.log.filter((l) => l.startsWith('setServer app/s1'));
    expect(s1Calls).toEqual([
      'setServer app/s1 {"enabled":false}', // checked down
      'setServer app/s1 {"enabled":true}', // injected up
      'setServer app/s1 {"enabled":false}', // maint
      'setServer app/s1 {"enabled":true}', // ready, injected up still
      'setServer app/s1 {"enabled":false}', // injected down
      'setServer app/s1 {"enabled":true}', // auto, checked up
    ]);
  });

  it('a check transition while health is injected says that the injected health wins', async () => {
    s1Up = true;
    const { proxy } = await start();
    const messages: string[] = [];
    proxy.on('health', (t) => messages.push(t.message));
    proxy.setHealth('app', 's1', 'up');
    s1Up = false;
    await until(() => messages.length > 0, 'a transition');
    expect(messages[0]).toBe('server app/s1 is DOWN: connect ECONNREFUSED (1 failure); health set up from outside wins until auto');
    expect(effective(proxy, 's1').effective).toBe('up');
    s1Up = true;
  });

  it('unknown servers and bad values are typed errors', async () => {
    const { proxy } = await start();
    const thrown = (f: () => void) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(thrown(() => proxy.setAdmin('app', 'nope', 'maint'))).toMatchObject({ code: 'E_PROXY', exitCode: 1, message: "no server 'nope' in backend app (servers of app: s1, s2, s3)" });
    expect(thrown(() => proxy.setWeight('nope', 's1', 1))).toMatchObject({ code: 'E_PROXY', message: "no backend 'nope' (backends: app)" });
    expect(thrown(() => proxy.setWeight('app', 's1', 1.5))).toMatchObject({ code: 'E_USAGE' });
    expect(thrown(() => proxy.setHealth('app', 's1', 'sideways' as 'up'))).toMatchObject({ code: 'E_USAGE' });
  });
});

describe('server state across processes (export, then import at start)', () => {
  it('the second Proxy shows the same `show servers state` after disable, set weight and health down', async () => {
    s1Up = false;
    const { proxy: old } = await start();
    await until(() => effective(old, 's1').check === 'down', 's1 checked down');
    const target = proxyTarget(old);
    await runApiLine('disable server app/s2', target);
    await runApiLine('set weight app/s1 9', target);
    await runApiLine('set server app/s3 health down', target);
    const before = await runApiLine('show servers state', target);
    expect(before).toEqual([
      '# backend server address admin weight injected check effective current',
      'app s1 127.0.0.1:9001 ready 9 auto down down 0',
      'app s2 127.0.0.1:9002 maint 1 auto up maint 0',
      'app s3 127.0.0.1:9003 ready 1 down none down 0',
    ]);
    // Through JSON, as it travels between processes.
    const exported = JSON.parse(JSON.stringify(old.serverState()));
    await old.stop({ graceMs: 0 });
    const { proxy: next, engine } = await start({ serverState: exported });
    expect(await runApiLine('show servers state', proxyTarget(next))).toEqual(before);
    // Applied before the first listener: no connection can reach a server that should be out.
    expect(engine.log.indexOf('addFrontend web')).toBeGreaterThan(engine.log.indexOf('setServer app/s3 {"enabled":false}'));
    expect(engine.log.slice(0, 4)).toEqual(['setServer app/s1 {"enabled":false}', 'setServer app/s1 {"weight":9}', 'setServer app/s2 {"enabled":false}', 'setServer app/s3 {"enabled":false}']);
    s1Up = true;
  });

  it('records for servers that are gone are ignored with one warning; the file wins over an imported weight it changed', async () => {
    s1Up = true;
    const changed = CONFIG.replace('weight: 3', 'weight: 5');
    const { proxy } = await start(
      {
        serverState: [
          { backend: 'app', server: 's1', weight: 9, configWeight: 3, admin: 'maint' },
          { backend: 'app', server: 's2', weight: 4, configWeight: 1, injected: 'sideways' as 'up' },
          { backend: 'app', server: 'gone', admin: 'maint' },
          { backend: 'old', server: 's1' },
          null as never,
        ],
      },
      changed,
    );
    const warnings: string[] = [];
    proxy.on('warning', (e) => warnings.push(e.message));
    await until(() => warnings.length > 0, 'the warning');
    expect(warnings).toEqual([
      'server state: ignored 3 records for servers not in the configuration: app/gone, old/s1, undefined/undefined; app/s1: weight 9 not applied, the configuration changed it to 5; app/s2: health "sideways" ignored',
    ]);
    expect(effective(proxy, 's1')).toMatchObject({ admin: 'maint', weight: 5, configWeight: 5 });
    expect(effective(proxy, 's2')).toMatchObject({ admin: 'ready', weight: 4, injected: 'auto' });
  });
});
