import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRecords, readRecord, removeRecord, writeRecord, type PlugRecord } from '../../src/plug/state.js';

const record = (over: Partial<PlugRecord> = {}): PlugRecord => ({
  version: 1, dev: 'v0', ifindex: 7, netns: 'lab', netnsInode: 4026532000, handle: 0x510000, parent: 0xffffffff,
  state: 'pass-through', limitBytes: null, since: 1, attachedAt: 1, previous: { kind: 'noqueue', handle: 0 }, pid: 42, ...over,
});

describe('plug state records', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'qplug-state-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, reads back and lists a record per namespace and device', () => {
    writeRecord(record(), dir);
    writeRecord(record({ ifindex: 8, dev: 'v1', state: 'buffering' }), dir);
    expect(readRecord(4026532000, 7, dir)).toEqual(record());
    expect(listRecords(dir).map((r) => r.dev).sort()).toEqual(['v0', 'v1']);
  });
  it('replaces atomically and leaves no temp files', () => {
    writeRecord(record(), dir);
    writeRecord(record({ state: 'buffering', since: 99 }), dir);
    expect(readRecord(4026532000, 7, dir)?.state).toBe('buffering');
    expect(readdirSync(dir)).toEqual(['4026532000-7.json']);
  });
  it('ignores garbage and missing records instead of crashing', () => {
    writeFileSync(join(dir, '1-1.json'), '{not json');
    writeFileSync(join(dir, '1-2.json'), JSON.stringify({ version: 1, dev: 3 }));
    expect(readRecord(1, 1, dir)).toBeNull();
    expect(readRecord(1, 2, dir)).toBeNull();
    expect(readRecord(9, 9, dir)).toBeNull();
    expect(listRecords(dir)).toEqual([]);
    expect(listRecords(join(dir, 'missing'))).toEqual([]);
  });
  it('removes records, and removing twice is fine', () => {
    writeRecord(record(), dir);
    removeRecord(4026532000, 7, dir);
    removeRecord(4026532000, 7, dir);
    expect(listRecords(dir)).toEqual([]);
  });
});
