/**
 * The live view drawn by ink into a fake terminal (a Writable with isTTY and
 * 100 columns) from a synthetic event sequence: the last frame shows the plug
 * state, the counters with their rates and the variant lines; the plain
 * lines stay above it; frames come from the timer, not from the events; the
 * cursor is shown again when it ends; other writes to the stream go above
 * the view. And when the live view is chosen at all.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

// ink decides once, when it loads, whether it runs under CI (then it draws only the
// last frame). These tests look at every frame: they run as on a terminal, CI or not.
vi.hoisted(() => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});
import { startLiveView } from '../../src/cli/scenario/LiveView.js';
import { liveViewWanted } from '../../src/cli/scenario/mode.js';
import { counters, endEvents, midRunEvents } from './scenario-live-events.js';

class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 100;
  readonly rows = 40;
  readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return stripVTControlCharacters(this.chunks.join(''));
  }

  /** The latest frame: each frame is one write that erases the previous one and draws the whole view. */
  get lastFrame(): string {
    const frames = this.chunks.map(stripVTControlCharacters).filter((c) => c.includes('proxy-reload'));
    return frames[frames.length - 1] ?? '';
  }
}

const HIDE_CURSOR = '\u001B[?25l';
const SHOW_CURSOR = '\u001B[?25h';

/** The line that starts with `text`, else the first that holds it. */
function lineWith(frame: string, text: string): string {
  const lines = frame.split('\n');
  return lines.find((l) => l.startsWith(text)) ?? lines.find((l) => l.includes(text)) ?? `(no line with '${text}' in:\n${frame})`;
}

describe('live view', () => {
  it('draws the run as it goes and the finished variants at the end', async () => {
    const terminal = new FakeTerminal();
    // The wall clock stands still: the elapsed time is the events' own.
    const view = startLiveView(terminal as unknown as NodeJS.WriteStream, { fps: 50, now: () => 1_000_000 });
    try {
      for (const e of midRunEvents) view.onEvent(e);
      await sleep(100);
      const mid = terminal.lastFrame;
      expect(mid.split('\n')[0]).toMatch(/^proxy-reload {2}seed 7 {2}2 variants/);
      expect(lineWith(mid, 'variant ')).toMatch(/variant +restart \(bug\) {2}run 1\/2 seed 7 {2}phase timeline {2}2\.5s/);
      expect(lineWith(mid, 'client/c0')).toMatch(/client\/c0 +█+▌+─+ +pass-through since 2s {2}match tcp dport 8080/);
      expect(lineWith(mid, 'timeline ')).toMatch(/timeline +\^ +R +\^\* +\^ +R +100ms\/col/);
      expect(lineWith(mid, 'step ')).toMatch(/step +#4 reload since 2\.5s {2}4 done/);
      expect(lineWith(mid, 'reloads')).toMatch(/reloads +lb restart 1\.3ms @1s {2}lb restart 0\.8ms @2\.5s/);
      expect(lineWith(mid, 'marks')).toMatch(/marks +gap @1\.6s/);
      expect(lineWith(mid, 'outcomes')).toMatch(/outcomes +attempts 5000 2000\/s {2}ok 4960 1970\/s {2}reset 10 10\/s {2}refused 30 20\/s {2}timeout 0 {2}other 0/);
      expect(lineWith(mid, 'handoff')).toMatch(/variants +✓ handoff \(fix\) {2}1 run, 0 reproduced, rate 0%/);
      expect(lineWith(mid, '▸')).toMatch(/▸ restart \(bug\) {2}0\/2 runs done, 0 reproduced/);
      // Every line fits the terminal.
      for (const line of mid.split('\n')) expect(line.length).toBeLessThanOrEqual(100);

      for (const e of endEvents) view.onEvent(e);
    } finally {
      await view.finish();
    }
    const last = terminal.lastFrame;
    expect(last.split('\n')[0]).toMatch(/^proxy-reload {2}seed 7 {2}2 variants {2}finished: exit 0/);
    expect(lineWith(last, 'client/c0')).toMatch(/client\/c0 +█+▌+─+ +detached/);
    expect(lineWith(last, 'outcomes')).toMatch(/outcomes +attempts 8000 {2}ok 7900 {2}reset 20 {2}refused 80 {2}timeout 0 {2}other 0/);
    expect(lineWith(last, 'handoff')).toMatch(/✓ handoff \(fix\) {2}1 run, 0 reproduced, rate 0%/);
    expect(lineWith(last, '✓ restart')).toMatch(/✓ restart \(bug\) {2}1 run, 1 reproduced, rate 100%/);
    expect(last).not.toContain('▸');
    // The plain lines were written once each, above the view.
    expect(terminal.text.match(/warning: restart run 1: lb: slow to stop/g)).toHaveLength(1);
    expect(terminal.text.match(/restart run 1: reproduced; 8000 attempts \(ok 7900, reset 20, refused 80\)/g)).toHaveLength(1);
  });

  it('draws from its timer only: a burst of events writes nothing until the next frame', async () => {
    const terminal = new FakeTerminal();
    const view = startLiveView(terminal as unknown as NodeJS.WriteStream, { fps: 10 });
    try {
      await sleep(20);
      const before = terminal.chunks.length;
      for (const e of midRunEvents) view.onEvent(e);
      for (let i = 1; i <= 2000; i++) view.onEvent({ type: 'counters', variant: 'restart', run: 1, atMs: 2500 + i, counters: { conns: counters({ attempts: 5000 + i, ok: 4960 + i }) } });
      expect(terminal.chunks.length).toBe(before);
      await sleep(350);
      // At most one frame per 100 ms (and ink's own limit of the same rate).
      const frames = terminal.chunks.slice(before).filter((c) => stripVTControlCharacters(c).includes('proxy-reload')).length;
      expect(frames).toBeGreaterThanOrEqual(1);
      expect(frames).toBeLessThanOrEqual(5);
      expect(terminal.lastFrame).toContain('attempts 7000');
    } finally {
      await view.finish();
    }
    // finish() twice is harmless, and events after it are ignored.
    await view.finish();
    view.onEvent(midRunEvents[0]!);
  });

  it('puts other writes to the stream above the view, whole lines, and gives the stream back', async () => {
    const terminal = new FakeTerminal();
    const view = startLiveView(terminal as unknown as NodeJS.WriteStream, { fps: 50, now: () => 1_000_000 });
    for (const e of midRunEvents) view.onEvent(e);
    await sleep(60);
    let called = false;
    terminal.write('qplug: from the lab: one');
    terminal.write(' line\nand a part', () => { called = true; });
    await sleep(60);
    await view.finish();
    expect(called).toBe(true);
    const text = terminal.text;
    expect(text.match(/qplug: from the lab: one line\n/g)).toHaveLength(1);
    // The line came before the last frame; the part without its newline came after the view ended.
    expect(text.lastIndexOf('qplug: from the lab')).toBeLessThan(text.lastIndexOf('proxy-reload  seed 7'));
    expect(text.endsWith('and a part')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(terminal, 'write')).toBe(false);
    terminal.write('after\n');
    expect(terminal.chunks[terminal.chunks.length - 1]).toBe('after\n');
  });

  it('is chosen on a terminal only, without --json or --no-live, and not on TERM=dumb', () => {
    const env = { TERM: 'xterm-256color' };
    expect(liveViewWanted({ isTTY: true }, { json: false, live: true }, env)).toBe(true);
    expect(liveViewWanted({ isTTY: false }, { json: false, live: true }, env)).toBe(false);
    expect(liveViewWanted({}, { json: false, live: true }, env)).toBe(false);
    expect(liveViewWanted({ isTTY: true }, { json: true, live: true }, env)).toBe(false);
    expect(liveViewWanted({ isTTY: true }, { json: false, live: false }, env)).toBe(false);
    expect(liveViewWanted({ isTTY: true }, { json: false, live: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('gives the cursor back when it ends', async () => {
    const terminal = new FakeTerminal();
    const view = startLiveView(terminal as unknown as NodeJS.WriteStream);
    for (const e of midRunEvents) view.onEvent(e);
    await sleep(150);
    await view.finish();
    const raw = terminal.chunks.join('');
    expect(raw).toContain(HIDE_CURSOR);
    expect(raw.lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(raw.lastIndexOf(HIDE_CURSOR));
  });
});
