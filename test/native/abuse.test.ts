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

const PRIOMAP = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
const withEntry = (index: number, value: unknown): unknown[] => PRIOMAP.map((entry, i) => (i === index ? value : entry));
// A valid addU32Filter options object with one property replaced (or removed, as undefined).
const u32 = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
  priority: 1,
  protocol: 0x0800,
  keys: [{ value: 0x00060000, mask: 0x00ff0000, offset: 8 }],
  classid: 0x10010,
  ...change,
});
const key = (change: Record<string, unknown>): Record<string, unknown> => u32({ keys: [{ value: 0, mask: 0, offset: 0, ...change }] });

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
    ['addPrio', [1, 0, 0, 3], TypeError],
    ['addPrio', [1, 0, 0, '3', PRIOMAP], TypeError],
    ['addPrio', [1, 0, 0, 1, PRIOMAP.map(() => 0)], RangeError],
    ['addPrio', [1, 0, 0, 17, PRIOMAP], RangeError],
    ['addPrio', [0, 0, 0, 3, PRIOMAP], RangeError],
    ['addPrio', [1, 0, 0, 3, PRIOMAP.slice(1)], RangeError],
    ['addPrio', [1, 0, 0, 3, [...PRIOMAP, 0]], RangeError],
    ['addPrio', [1, 0, 0, 3, withEntry(15, 3)], RangeError],
    ['addPrio', [1, 0, 0, 3, withEntry(0, -1)], RangeError],
    ['addPrio', [1, 0, 0, 3, withEntry(4, 1.5)], RangeError],
    ['addPrio', [1, 0, 0, 3, withEntry(7, '1')], TypeError],
    ['addPrio', [1, 0, 0, 3, new Array(16)], TypeError],
    ['addPrio', [1, 0, 0, 3, new Uint8Array(16)], TypeError],
    ['addPrio', [1, 0, 0, 3, { length: 16 }], TypeError],
    ['addU32Filter', [1, 0x10000], TypeError],
    ['addU32Filter', [1, 0x10000, null], TypeError],
    ['addU32Filter', [1, 0x10000, []], TypeError],
    ['addU32Filter', [0, 0x10000, u32()], RangeError],
    ['addU32Filter', [1, 2 ** 32, u32()], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ priority: undefined })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ priority: 0 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ priority: 65536 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ protocol: 0 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ protocol: 0x10000 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ protocol: 'ip' })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ classid: undefined })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ classid: -1 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ handle: null })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ handle: 2 ** 32 })], RangeError],
    ['addU32Filter', [1, 0x10000, u32({ keys: undefined })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ keys: {} })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ keys: [null] })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ keys: [[0, 0, 0]] })], TypeError],
    ['addU32Filter', [1, 0x10000, u32({ keys: Array.from({ length: 129 }, () => ({ value: 0, mask: 0, offset: 0 })) })], RangeError],
    ['addU32Filter', [1, 0x10000, key({ value: 2 ** 32 })], RangeError],
    ['addU32Filter', [1, 0x10000, key({ mask: -1 })], RangeError],
    ['addU32Filter', [1, 0x10000, key({ mask: '255' })], TypeError],
    ['addU32Filter', [1, 0x10000, key({ offset: undefined })], TypeError],
    ['addU32Filter', [1, 0x10000, key({ offset: 2 })], RangeError],
    ['addU32Filter', [1, 0x10000, key({ offset: 65536 })], RangeError],
    ['addU32Filter', [1, 0x10000, key({ offset: -65540 })], RangeError],
    ['listFilters', [], TypeError],
    ['listFilters', [1], TypeError],
    ['listFilters', [0, 0x10000], RangeError],
    ['listFilters', [1, -1], RangeError],
    ['deleteFilters', [1, 0x10000, 1], TypeError],
    ['deleteFilters', [1, 0x10000, 0, 0x0800], RangeError],
    ['deleteFilters', [1, 0x10000, 65536, 0x0800], RangeError],
    ['deleteFilters', [1, 0x10000, 1, 0x10000], RangeError],
    ['deleteFilters', [1, 0x10000, '1', 0x0800], TypeError],
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
      ['addPrio', rejection(socket.addPrio(1, 0xffffffff, 0x10000, 3, PRIOMAP))],
      ['addU32Filter', rejection(socket.addU32Filter(1, 0x10000, { priority: 1, protocol: 0x0800, keys: [], classid: 0x10001 }))],
      ['listFilters', rejection(socket.listFilters(1, 0x10000))],
      ['deleteFilters', rejection(socket.deleteFilters(1, 0x10000, 1, 0x0800))],
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
