/**
 * sendFds/receiveFds (native/splice/fd_passing.cpp): SCM_RIGHTS plus a JSON
 * payload over a unix socket, the reload handoff's transport. Real fds cross
 * (same inode), a listening socket handed to a second engine keeps serving on
 * the same port, every wait is bounded, failures carry code/errno/call, and
 * bad arguments throw instead of crashing.
 */
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NativeAddon, NativeProxyEngine } from '../../src/native/AddonTypes.js';
import { loadNative } from '../../src/native/loadNative.js';
import { thrown } from './fixtures.js';
import { backendSpec, connect, echoServer, engineOptions, fdCount, frontendSpec, serverSpec, within, type Upstream } from './fixtures/proxy-helpers.js';

const native = (): NativeAddon => loadNative();
const dir = mkdtempSync(join(tmpdir(), 'qplug-fd-passing-'));
let counter = 0;
const socketPath = () => join(dir, `s${++counter}.sock`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Loose = (...args: unknown[]) => unknown;

describe('fd passing', () => {
  const engines: NativeProxyEngine[] = [];
  const upstreams: Upstream[] = [];
  const fds: number[] = [];
  afterEach(async () => {
    for (const engine of engines.splice(0)) await within(5000, 'stop', engine.stop(0));
    for (const u of upstreams.splice(0)) await u.close();
    for (const fd of fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // closed by the test
      }
    }
  });

  it('passes a file descriptor and the payload; the receiver gets its own fd on the same file', async () => {
    const file = join(dir, 'data.txt');
    writeFileSync(file, 'hello');
    const fd = openSync(file, 'r');
    fds.push(fd);
    const path = socketPath();
    const received = native().receiveFds(path, 5000);
    expect(existsSync(path)).toBe(true); // bound before receiveFds returned
    await within(5000, 'send', native().sendFds(path, [fd], JSON.stringify(['a', 'é']), 5000));
    const { fds: got, payload } = await within(5000, 'receive', received);
    fds.push(...got);
    expect(got).toHaveLength(1);
    expect(got[0]).not.toBe(fd);
    expect(fstatSync(got[0]!).ino).toBe(fstatSync(fd).ino);
    expect(JSON.parse(payload)).toEqual(['a', 'é']);
    expect(existsSync(path)).toBe(false);
  });

  it('passes zero fds and a 64 KiB payload; no fd leaks either side', async () => {
    const before = fdCount();
    const path = socketPath();
    const received = native().receiveFds(path, 5000);
    const big = 'x'.repeat(64 * 1024);
    await native().sendFds(path, [], big, 5000);
    const r = await received;
    expect(r.fds).toEqual([]);
    expect(r.payload).toBe(big);
    expect(fdCount()).toBe(before);
  });

  it('a listening socket handed to another engine keeps its port and serves there', async () => {
    const echo = await echoServer();
    upstreams.push(echo);
    const make = () => {
      const engine = new (native().ProxyEngine)(engineOptions({ threads: 1 }));
      engines.push(engine);
      engine.addBackend(backendSpec([serverSpec('s1', echo.port)]));
      return engine;
    };
    const oldEngine = make();
    const { port } = oldEngine.addFrontend(frontendSpec());
    oldEngine.start();
    const path = socketPath();
    const received = native().receiveFds(path, 5000);
    const listeners = oldEngine.listenerFds();
    await native().sendFds(path, listeners.map((l) => l.fd), JSON.stringify(listeners.map((l) => l.frontend)), 5000);
    const { fds: got, payload } = await received;
    expect(JSON.parse(payload)).toEqual(['fe']);
    const newEngine = make();
    const adopted = newEngine.addFrontend(frontendSpec({ fd: got[0]! }));
    closeSync(got[0]!); // the engine keeps its own dup
    expect(adopted.port).toBe(port);
    newEngine.start();
    // The old engine stops accepting; its copy closes on stop. The socket lives on in the new one.
    oldEngine.pauseListeners();
    await oldEngine.stop(0);
    const socket = await within(3000, 'connect', connect(port));
    socket.write('ping');
    const echoed = await within(3000, 'echo', new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString()))));
    socket.destroy();
    expect(echoed).toBe('ping');
    expect(newEngine.stats().frontends[0]!.total).toBe(1);
  });

  it('bounded waits and structured errors: ETIMEDOUT, ENOENT, EADDRINUSE, EBADF, ENAMETOOLONG', async () => {
    const path = socketPath();
    const started = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10); // the event loop turns while receiveFds waits
    const timedOut = await native().receiveFds(path, 200).then(
      () => null,
      (e: unknown) => e,
    );
    clearInterval(timer);
    expect(timedOut).toMatchObject({ code: 'ETIMEDOUT', call: 'accept', errno: 110 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(3);
    expect(existsSync(path)).toBe(false);

    await expect(native().sendFds(join(dir, 'nobody.sock'), [], '', 1000)).rejects.toMatchObject({ code: 'ENOENT', call: 'connect' });

    const taken = socketPath();
    const pending = native().receiveFds(taken, 2000);
    expect(thrown(() => native().receiveFds(taken, 1000))).toMatchObject({ code: 'EADDRINUSE', call: 'bind' });
    await native().sendFds(taken, [], 'done', 1000);
    expect((await pending).payload).toBe('done');

    const unused = 999_999; // far above anything open here
    expect(thrown(() => native().sendFds(socketPath(), [unused], '', 1000))).toMatchObject({ code: 'EBADF', call: 'fcntl' });
    expect(thrown(() => native().receiveFds(`/tmp/${'x'.repeat(200)}`, 1000))).toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('a sender that finds nobody accepting gives up at its timeout', async () => {
    // A receiver that times out first leaves no socket behind; the sender then fails fast.
    const path = socketPath();
    const receiver = native().receiveFds(path, 100).catch((e: unknown) => e);
    expect(await receiver).toMatchObject({ code: 'ETIMEDOUT' });
    await expect(native().sendFds(path, [], '', 500)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('wrong argument types throw TypeError/RangeError, never crash', () => {
    const send = native().sendFds as unknown as Loose;
    const receive = native().receiveFds as unknown as Loose;
    expect(() => send()).toThrow(TypeError);
    expect(() => send(1, [], '', 100)).toThrow(TypeError);
    expect(() => send('/tmp/x', 'nope', '', 100)).toThrow(TypeError);
    expect(() => send('/tmp/x', [-1], '', 100)).toThrow(TypeError);
    expect(() => send('/tmp/x', [1.5], '', 100)).toThrow(TypeError);
    expect(() => send('/tmp/x', [], 42, 100)).toThrow(TypeError);
    expect(() => send('/tmp/x', [], '', 'soon')).toThrow(TypeError);
    expect(() => send('/tmp/x', [], '', 0)).toThrow(RangeError);
    expect(() => send('/tmp/x', new Array(254).fill(0), '', 100)).toThrow(RangeError);
    expect(() => send('/tmp/x', [], 'x'.repeat(64 * 1024 + 1), 100)).toThrow(RangeError);
    expect(() => receive()).toThrow(TypeError);
    expect(() => receive('/tmp/x')).toThrow(TypeError);
    expect(() => receive('/tmp/x', 1e9)).toThrow(RangeError);
  });
});
