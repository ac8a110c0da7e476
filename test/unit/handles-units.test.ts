import { describe, expect, it } from 'vitest';
import { formatHandle, parseHandle, TC_H_ROOT } from '../../src/plug/handles.js';
import { formatDuration, formatSize, parseDuration, parseSize, toMilliseconds } from '../../src/plug/units.js';
import { UsageError } from '../../src/errors.js';

describe('tc handles', () => {
  it('parses root, MAJOR: and MAJOR:MINOR in hex', () => {
    expect(parseHandle('root')).toBe(TC_H_ROOT);
    expect(parseHandle('1:')).toBe(0x10000);
    expect(parseHandle('1:10')).toBe(0x10010);
    expect(parseHandle('ffff:fff1')).toBe(0xfffffff1);
    expect(parseHandle('A:b')).toBe(0xa000b);
  });
  it('round-trips through formatHandle', () => {
    for (const text of ['root', '1:', '1:10', '51:', 'ffff:fff1']) expect(formatHandle(parseHandle(text))).toBe(text);
  });
  it('rejects garbage with a usage error naming the input', () => {
    for (const bad of ['', '1', 'x:', '1:2:3', '12345:', '1:10000', '-1:']) {
      expect(() => parseHandle(bad, 'parent')).toThrowError(UsageError);
    }
    expect(() => parseHandle('zz', 'parent')).toThrowError(/invalid parent 'zz'/);
  });
});

describe('sizes', () => {
  it('reads bytes and binary units', () => {
    expect(parseSize('1500')).toBe(1500);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('64KB')).toBe(65536);
    expect(parseSize('1m')).toBe(1048576);
    expect(parseSize('1.5k')).toBe(1536);
    expect(parseSize(4096)).toBe(4096);
  });
  it('rejects what the kernel cannot take', () => {
    expect(() => parseSize('5g')).toThrowError(/at most 4294967295/);
    expect(() => parseSize('-1')).toThrowError(UsageError);
    expect(() => parseSize('12 parsecs')).toThrowError(/expected bytes/);
    expect(() => parseSize(1.5)).toThrowError(UsageError);
  });
  it('formats sizes', () => {
    expect(formatSize(100)).toBe('100B');
    expect(formatSize(65536)).toBe('64KiB');
    expect(formatSize(1048576)).toBe('1MiB');
  });
});

describe('durations', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration(0.5)).toBe(500);
  });
  it('rejects garbage', () => {
    expect(() => parseDuration('soon')).toThrowError(/expected e.g. 250ms/);
    expect(() => parseDuration(-1)).toThrowError(UsageError);
  });
  it('formats durations', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(2500)).toBe('2.5s');
    expect(formatDuration(90_000)).toBe('1.5m');
  });
});

describe('milliseconds-or-duration options (maxHold, hold)', () => {
  it('takes numbers as milliseconds and strings as durations', () => {
    expect(toMilliseconds(2000)).toBe(2000);
    expect(toMilliseconds(60_000)).toBe(60_000);
    expect(toMilliseconds('2s')).toBe(2000);
    expect(toMilliseconds('250ms')).toBe(250);
  });
  it('rejects negative and non-finite numbers', () => {
    expect(() => toMilliseconds(-1, 'max hold')).toThrowError(/invalid max hold -1/);
    expect(() => toMilliseconds(Number.NaN)).toThrowError(UsageError);
  });
});
