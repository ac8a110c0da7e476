/**
 * The runtime API's table of commands, its parsing and its replies, against a
 * Proxy over the fake engine (through proxyTarget) and a hand-made target.
 * No sockets here: test/unit/proxy-api-server.test.ts has the wire protocol.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_COMMANDS, parseApiLine, parseServerRef, parseWeight, runApiLine } from '../../src/proxy/api/commands.js';
import { LineSplitter, ReplySplitter } from '../../src/proxy/api/lines.js';
import { proxyTarget, type ApiTarget, type ReloadResult } from '../../src/proxy/api/target.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { Proxy } from '../../src/proxy/Proxy.js';
import { ProxyError } from '../../src/errors.js';
import { fakeEngines, type FakeProxyEngine } from './proxy-fake-engine.js';

const CONFIG = `
frontends:
  web: { bind: 127.0.0.1:0, backend: app }
backends:
  app:
    check: { interval: 1h, timeout: 100ms, rise: 1, fall: 1 }
    servers:
      - { name: s1, address: 127.0.0.1:9001, weight: 3 }
      - { name: s2, address: 127.0.0.1:9002, check: false }
  other:
    servers:
      - { name: x, address: "[::1]:9003" }
`;

const running: Proxy[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop({ graceMs: 0 })));
});

async function proxyWithTarget(extra: Parameters<typeof proxyTarget>[1] = {}): Promise<{ proxy: Proxy; engine: FakeProxyEngine; target: ApiTarget }> {
  const { factory, made } = fakeEngines();
  const proxy = await Proxy.start(parseProxyConfig(CONFIG, 'api.yaml'), { engineFactory: factory, probe: async () => ({ ok: true }) });
  running.push(proxy);
  return { proxy, engine: made[0]!, target: proxyTarget(proxy, extra) };
}

const errorOf = (reply: string[]) => {
  expect(reply).toHaveLength(1);
  expect(reply[0]).toMatch(/^error: [\x20-\x7e]+$/);
  return reply[0]!;
};

describe('the command table', () => {
  it('has every command of the issue, each with words, a usage starting with them, help and a level', () => {
    const phrases = API_COMMANDS.map((row) => row.words.join(' '));
    expect(phrases).toEqual(['help', 'show info', 'show stat', 'show servers state', 'show pool', 'disable server', 'enable server', 'set weight', 'set server', 'reload']);
    for (const row of API_COMMANDS) {
      expect(row.usage.startsWith(row.words.join(' '))).toBe(true);
      expect(row.help.length).toBeGreaterThan(10);
      expect(row.level).toBe(row.words[0] === 'show' || row.words[0] === 'help' ? 'monitor' : 'operator');
    }
  });

  it('parses words case-insensitively, --json anywhere, a trailing CR, and checks the arguments against the usage', () => {
    expect(parseApiLine('show   stat\r')).toMatchObject({ row: { usage: 'show stat' }, args: [], json: false });
    expect(parseApiLine('SHOW Servers state --json')).toMatchObject({ row: { usage: 'show servers state [<backend>]' }, args: [], json: true });
    expect(parseApiLine('show servers state app')).toMatchObject({ args: ['app'] });
    expect(parseApiLine('set weight --json App/s1 3')).toMatchObject({ args: ['App/s1', '3'], json: true });
    expect(parseApiLine('set server app/s1 health up').args).toEqual(['app/s1', 'health', 'up']);
    expect(parseApiLine('reload').args).toEqual([]);
    expect(parseApiLine('reload handoff').args).toEqual(['handoff']);
    const message = (line: string) => {
      try {
        parseApiLine(line);
        return 'parsed';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(message('')).toBe('empty command (try help)');
    expect(message('  --json ')).toBe('empty command (try help)');
    expect(message('show')).toBe("incomplete command 'show': show info, show stat, show servers state, show pool");
    expect(message('show servers')).toBe("incomplete command 'show servers': show servers state");
    expect(message('shwo stat')).toBe("unknown command 'shwo stat' (did you mean 'show stat'? try help)");
    expect(message('frobnicate')).toBe("unknown command 'frobnicate' (try help)");
    expect(message('set weight app/s1')).toBe('usage: set weight <backend>/<server> <0..256>');
    expect(message('help me')).toBe('usage: help');
    expect(message('reload handoff now')).toBe('usage: reload [<restart|reuseport|handoff>]');
  });

  it('parses backend/server and weights strictly', () => {
    expect(parseServerRef('app/s1')).toEqual({ backend: 'app', server: 's1' });
    expect(parseServerRef('a.b-c/d_e')).toEqual({ backend: 'a.b-c', server: 'd_e' });
    for (const bad of ['app', '/s1', 'app/', 'app/s1/x', '-a/s1', 'app/s\u00e9']) expect(() => parseServerRef(bad)).toThrow(/expected backend\/server/);
    expect(parseWeight('0')).toBe(0);
    expect(parseWeight('256')).toBe(256);
    for (const bad of ['257', '-1', '1.5', '1e2', '', 'x', '99999999']) expect(() => parseWeight(bad)).toThrow(/not a whole number from 0 to 256/);
  });
});

describe('replies over a Proxy (fake engine)', () => {
  it('show servers state: a header and one line per server; JSON: the records', async () => {
    const { target } = await proxyWithTarget();
    expect(await runApiLine('show servers state', target)).toEqual([
      '# backend server address admin weight injected check effective current',
      'app s1 127.0.0.1:9001 ready 3 auto up up 0',
      'app s2 127.0.0.1:9002 ready 1 auto none up 0',
      'other x [::1]:9003 ready 1 auto none up 0',
    ]);
    expect(await runApiLine('show servers state other', target)).toHaveLength(2);
    expect(errorOf(await runApiLine('show servers state nope', target))).toBe("error: no backend 'nope'");
    const json = await runApiLine('show servers state --json', target);
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0]!)[0]).toEqual({
      backend: 'app',
      server: 's1',
      address: '127.0.0.1:9001',
      admin: 'ready',
      weight: 3,
      configWeight: 3,
      injected: 'auto',
      check: 'up',
      effective: 'up',
      current: 0,
    });
  });

  it('disable/enable server, set weight and set server health change the engine and answer with the new state', async () => {
    const { target, engine } = await proxyWithTarget();
    expect(await runApiLine('disable server app/s1', target)).toEqual(['app/s1: admin maint, weight 3, health auto, check up -> maint']);
    expect(await runApiLine('set weight app/s1 7', target)).toEqual(['app/s1: admin maint, weight 7, health auto, check up -> maint']);
    expect(await runApiLine('enable server app/s1', target)).toEqual(['app/s1: admin ready, weight 7, health auto, check up -> up']);
    expect(await runApiLine('set server app/s2 health down', target)).toEqual(['app/s2: admin ready, weight 1, health down, check none -> down']);
    const json = JSON.parse((await runApiLine('set server app/s2 health auto --json', target))[0]!);
    expect(json).toMatchObject({ backend: 'app', server: 's2', injected: 'auto', effective: 'up' });
    expect(engine.setServerCalls).toEqual([
      { backend: 'app', server: 's1', change: { enabled: false } },
      { backend: 'app', server: 's1', change: { weight: 7 } },
      { backend: 'app', server: 's1', change: { enabled: true } },
      { backend: 'app', server: 's2', change: { enabled: false } },
      { backend: 'app', server: 's2', change: { enabled: true } },
    ]);
  });

  it('unknown servers, bad values and the wrong level are one error line and change nothing', async () => {
    const { target, engine } = await proxyWithTarget();
    expect(errorOf(await runApiLine('disable server app/s9', target))).toBe("error: no server 's9' in backend app (did you mean 's1'?)");
    expect(errorOf(await runApiLine('disable server nope/s1', target))).toBe("error: no backend 'nope' (backends: app, other)");
    expect(errorOf(await runApiLine('set weight app/s1 300', target))).toBe("error: weight '300' is not a whole number from 0 to 256");
    expect(errorOf(await runApiLine('set server app/s1 health sideways', target))).toBe("error: health 'sideways' is not one of up, down, auto");
    expect(errorOf(await runApiLine('set server app/s1 weight 3', target))).toMatch(/^error: set server only sets health here/);
    expect(errorOf(await runApiLine('disable server app/s1', target, 'monitor'))).toBe("error: 'disable server' needs level operator; this connection is monitor");
    expect(errorOf(await runApiLine('\u0000\u0001\u00ff\ufffd garbage \u001b[31m', target))).toMatch(/^error: unknown command '\?\?\?\? garbage \?\[31m' \(try help\)$/);
    expect(engine.setServerCalls).toEqual([]);
  });

  it('show info, show stat and show pool, as text and as one JSON line', async () => {
    const { target } = await proxyWithTarget({ strategy: 'handoff' });
    const info = await runApiLine('show info', target);
    expect(info[0]).toBe(`pid: ${process.pid}`);
    expect(info).toContain('config: api.yaml');
    expect(info).toContain('reload strategy: handoff');
    expect(info).toContain('frontend web: 127.0.0.1:40000 -> app, listening');
    expect(info).toContain('servers: 3 (3 up, 0 down, 0 maint)');
    expect(JSON.parse((await runApiLine('show info --json', target))[0]!)).toMatchObject({ pid: process.pid, config: 'api.yaml', backends: 2, connections: { total: 3 } });
    const stat = await runApiLine('show stat', target);
    expect(stat[0]).toBe('# name,server,type,status,weight,current,peak,total,bytes_in,bytes_out,connect_errors,queue_current,queue_peak,queue_timeouts,check');
    expect(stat.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual([
      'web,FRONTEND,frontend,OPEN,',
      'app,BACKEND,backend,UP,4',
      'app,s1,server,UP,3',
      'app,s2,server,UP,1',
      'other,BACKEND,backend,UP,1',
      'other,x,server,UP,1',
    ]);
    for (const line of stat) expect(line.split(',')).toHaveLength(15);
    expect(JSON.parse((await runApiLine('show stat --json', target))[0]!)).toMatchObject({ backends: [{ name: 'app' }, { name: 'other' }] });
    expect(await runApiLine('show pool', target)).toEqual(['buffers: 1024 of 65536 bytes, 1024 free, 0 in use (peak 0), 0 waiting, 0 waits', 'pipes: 0 in use, 0 idle, 0 created']);
    expect(JSON.parse((await runApiLine('show pool --json', target))[0]!)).toEqual({
      pool: { bufferSize: 65536, buffers: 1024, free: 1024, inUse: 0, peakInUse: 0, waiting: 0, waits: 0 },
      pipes: { inUse: 0, idle: 0, created: 0 },
    });
  });

  it('help lists the commands the level allows; --json lists them as objects', async () => {
    const { target } = await proxyWithTarget();
    const help = await runApiLine('help', target);
    expect(help).toHaveLength(API_COMMANDS.length + 1);
    expect(help[5]).toMatch(/^disable server <backend>\/<server> +operator +maintenance/);
    expect(help.at(-1)).toBe("(add --json to any command for one JSON line; this connection's level: operator)");
    expect(await runApiLine('help', target, 'monitor')).toHaveLength(6);
    const rows = JSON.parse((await runApiLine('help --json', target))[0]!) as Array<{ command: string; level: string }>;
    expect(rows.map((r) => r.command)).toContain('set server');
  });

  it('reload: an error line without a master; the result as text or JSON with one', async () => {
    const { target } = await proxyWithTarget();
    expect(errorOf(await runApiLine('reload', target))).toBe('error: this proxy cannot reload through its API: it runs without a master process');
    const asked: Array<string | undefined> = [];
    const reload = async (strategy?: 'restart' | 'reuseport' | 'handoff'): Promise<ReloadResult> => {
      asked.push(strategy);
      return { strategy: strategy ?? 'handoff', oldPid: 10, newPid: 11, ms: 42.4 };
    };
    const { target: master } = await proxyWithTarget({ reload });
    expect(await runApiLine('reload', master)).toEqual(['reloaded (handoff): pid 10 -> 11 in 42ms']);
    expect(JSON.parse((await runApiLine('reload reuseport --json', master))[0]!)).toEqual({ strategy: 'reuseport', oldPid: 10, newPid: 11, ms: 42.4 });
    expect(errorOf(await runApiLine('reload sideways', master))).toBe("error: reload strategy 'sideways' is not one of restart, reuseport, handoff");
    expect(asked).toEqual([undefined, 'reuseport']);
  });

  it('a target that fails answers one printable error line, whatever it threw', async () => {
    const failing = {
      info: async () => {
        throw new ProxyError('worker gone\nsecond line');
      },
      serverState: async () => {
        throw 'a string';
      },
    } as unknown as ApiTarget;
    expect(await runApiLine('show info', failing)).toEqual(['error: worker gone']);
    expect(await runApiLine('show servers state', failing)).toEqual(['error: a string']);
  });
});

describe('framing', () => {
  it('LineSplitter: one item per line sent, a too-long line once, whatever the chunking', () => {
    const splitter = new LineSplitter(16);
    expect(splitter.push(Buffer.from('help\nshow'))).toEqual([{ line: 'help' }]);
    expect(splitter.push(Buffer.from(' info\r\n\n'))).toEqual([{ line: 'show info\r' }, { line: '' }]);
    expect(splitter.push(Buffer.from('0123456789abcdefg'))).toEqual([{ tooLong: 16 }]);
    expect(splitter.push(Buffer.from('more and more'))).toEqual([]);
    expect(splitter.push(Buffer.from('end\nok\n'))).toEqual([{ line: 'ok' }]);
    expect(splitter.push(Buffer.from('0123456789abcdef\n0123456789abcdefg\n'))).toEqual([{ line: '0123456789abcdef' }, { tooLong: 16 }]);
    expect(splitter.push(Buffer.from([0xff, 0x0a]))).toEqual([{ line: '\ufffd' }]);
  });

  it('ReplySplitter: replies end with an empty line', () => {
    const splitter = new ReplySplitter();
    expect(splitter.push('a\nb')).toEqual([]);
    expect(splitter.push('\n\nerror: x\n')).toEqual([['a', 'b']]);
    expect(splitter.push('\n')).toEqual([['error: x']]);
  });
});
