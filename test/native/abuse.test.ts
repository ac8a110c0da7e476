/**
 * Bad input from any caller ends in a TypeError or RangeError (thrown
 * synchronously), and a closed socket answers ECLOSED: never a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRouteSocket } from '../../src/native/AddonTypes.js';
import { addon, rejection, thrown } from './fixtures.js';

// The methods as an untyped caller (plain JS, or a TS bug) would see them.
type Loose = Record<string, (...args: unknown[]) => unknown>;
const loose = (socket: NativeRouteSocket): Loose => socket as unknown as Loose;

describe('RouteSocket argument checks', () => {
  let socket: NativeRouteSocket;

  beforeAll(() => {
    socket = new (addon().RouteSocket)();
  });
  afterAll(() => socket?.close());

  const cases: Array<[method: string, args: unknown[], error: typeof TypeError | typeof RangeError]> = [
    ['getLink', [{}], TypeError],
    ['getLink', [], TypeError],
    ['getLink', [null], TypeError],
    ['getLink', [1n], TypeError],
    ['getLink', [0], RangeError],
    ['getLink', [-1], RangeError],
    ['getLink', [1.5], RangeError],
    ['getLink', [NaN], RangeError],
    ['getLink', [2 ** 31], RangeError],
    ['getLink', [''], RangeError],
    ['getLink', ['lo\0x'], RangeError],
    ['listQdiscs', [], TypeError],
    ['listQdiscs', ['1'], TypeError],
    ['listQdiscs', [-1], RangeError],
    ['listQdiscs', [Infinity], RangeError],
    ['addPlug', ['x', 0, 0, 0], TypeError],
    ['addPlug', [1, 0, 0], TypeError],
    ['addPlug', [1, -1, 0, 0], RangeError],
    ['addPlug', [1, 2 ** 32, 0, 0], RangeError],
    ['addPlug', [1, 0, 0.5, 0], RangeError],
    ['addPlug', [1, 0, 0, '1k'], TypeError],
    ['addPlug', [0, 0, 0, 0], RangeError],
    ['changePlug', [1, 0, 0, 'bogus', 0], RangeError],
    ['changePlug', [1, 0, 0, 5, 0], TypeError],
    ['changePlug', [1, 0, 0, 'buffer'], TypeError],
    ['changePlug', [1, 0, 0, 'BUFFER', 0], RangeError],
    ['changePlugSync', [1, 0, 0, 'bogus', 0], RangeError],
    ['changePlugSync', [{}, 0, 0, 'buffer', 0], TypeError],
    ['deleteQdisc', [1n, 0, 0], TypeError],
    ['deleteQdisc', [1, 0, -0.1], RangeError],
    ['deleteQdisc', [1, Symbol('x'), 0], TypeError],
  ];

  const show = (value: unknown): string =>
    typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : value);
  const labelled = cases.map(([method, args, ErrorClass]) => [`${method}(${args.map(show).join(', ')})`, method, args, ErrorClass] as const);

  it.each(labelled)('%s throws %o synchronously', (_label, method, args, ErrorClass) => {
    const error = thrown(() => loose(socket)[method]!(...args));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.message.startsWith(`${method}: `)).toBe(true);
  });

  it('rejects bad constructor options with TypeError or RangeError', () => {
    const RouteSocket = addon().RouteSocket as unknown as new (...args: unknown[]) => NativeRouteSocket;
    expect(() => new RouteSocket(5)).toThrow(TypeError);
    expect(() => new RouteSocket('/run/netns/x')).toThrow(TypeError);
    expect(() => new RouteSocket({ netns: 5 })).toThrow(TypeError);
    expect(() => new RouteSocket({ netns: null })).toThrow(TypeError);
    expect(() => new RouteSocket({ netns: '' })).toThrow(RangeError);
    expect(() => new RouteSocket({ netns: '/run/netns/a\0b' })).toThrow(RangeError);
    expect(() => (RouteSocket as unknown as () => unknown)()).toThrow(TypeError);
    // undefined, null and {} all mean the caller's namespace.
    for (const options of [undefined, null, {}, { netns: undefined }]) new RouteSocket(options).close();
  });

  it('methods called on foreign objects throw instead of crashing', () => {
    const getLink = socket.getLink as unknown as (this: unknown, dev: string) => unknown;
    expect(() => getLink.call({}, 'lo')).toThrow();
    expect(() => getLink.call(undefined, 'lo')).toThrow();
    const inode = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(socket), 'netnsInode');
    expect(() => inode?.get?.call({})).toThrow();
  });
});

describe('RouteSocket after close()', () => {
  it('rejects or throws ECLOSED for every request, and close stays idempotent', async () => {
    const socket = new (addon().RouteSocket)();
    const inode = socket.netnsInode;
    socket.close();
    socket.close();

    // rejection() attaches its handler at once, so no rejection goes unhandled.
    const pending: Array<[string, ReturnType<typeof rejection>]> = [
      ['getLink', rejection(socket.getLink('lo'))],
      ['listLinks', rejection(socket.listLinks())],
      ['listQdiscs', rejection(socket.listQdiscs(0))],
      ['addPlug', rejection(socket.addPlug(1, 0xffffffff, 0, 0))],
      ['changePlug', rejection(socket.changePlug(1, 0xffffffff, 0x10000, 'buffer', 0))],
      ['deleteQdisc', rejection(socket.deleteQdisc(1, 0xffffffff, 0x10000))],
    ];
    for (const [method, settled] of pending) {
      const error = await settled;
      expect(error).toMatchObject({ code: 'ECLOSED', call: method, errno: 9 });
      expect(error.message).toBe(`${method}: socket is closed (ECLOSED)`);
    }
    const syncError = thrown(() => socket.changePlugSync(1, 0xffffffff, 0x10000, 'buffer', 0));
    expect(syncError).toMatchObject({ code: 'ECLOSED', call: 'changePlugSync' });

    // Argument checks still come first, and the read-only facts stay readable.
    expect(() => socket.getLink({} as unknown as string)).toThrow(TypeError);
    expect(socket.netnsInode).toBe(inode);
    expect(socket.netns).toBeNull();
  });
});
