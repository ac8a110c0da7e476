/**
 * The live view of `qplug scenario` on a terminal: the scenario, the variant
 * and run, the run's phase, a timeline strip of the run (plug state per
 * device, reloads, marks, steps), the outcomes with their rates, and every
 * finished variant. The plain progress lines stay above it (ink's <Static>);
 * at the end the view is unmounted and the plain summary follows.
 *
 * Events are folded into a LiveState at once (reduceLive, cheap); the screen
 * is redrawn from a timer at most `fps` times a second, never from inside the
 * runner's event call. The view reads no input: stdin is never put in raw
 * mode, so Ctrl-C stays a SIGINT for the runner's teardown. Whatever else is
 * written to the stream while the view is up (a lab's stderr, an error line)
 * goes above it, whole lines at a time, instead of through it.
 */
import { useLayoutEffect } from 'react';
import { Box, Static, Text, render, useStdout, type Instance } from 'ink';
import { formatDuration } from '../../plug/units.js';
import { OUTCOMES } from '../../scenarios/expression.js';
import type { Counters, ScenarioEvent } from '../../scenarios/run/events.js';
import { pct } from '../../scenarios/run/report.js';
import { devicePlugs, elapsedMs, eventCells, initialLiveState, plugCells, reduceLive, stripScale, type EventCell, type LiveState, type PlugCell } from './liveState.js';

/** Width of the label column. */
const LABEL = 11;
/** Longest strip, in columns. */
const MAX_STRIP = 64;
/** At most this many devices, generators and variants are listed; the rest are counted. */
const MAX_ROWS = 6;
/** At most this many reloads and marks are listed, the latest. */
const MAX_RECENT = 4;

const at = (ms: number) => `@${formatDuration(ms)}`;
const msText = (ms: number) => (ms < 10 ? `${Math.round(ms * 10) / 10}ms` : formatDuration(ms));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const PLUG_GLYPH: Record<Exclude<PlugCell, null>, { glyph: string; color: string }> = {
  buffering: { glyph: '█', color: 'red' },
  'release-one': { glyph: '▌', color: 'magenta' },
  'pass-through': { glyph: '─', color: 'green' },
};
const EVENT_GLYPH: Record<Exclude<EventCell, null>, { glyph: string; color: string }> = {
  error: { glyph: '!', color: 'red' },
  reload: { glyph: 'R', color: 'cyan' },
  mark: { glyph: '*', color: 'yellow' },
  step: { glyph: '^', color: 'gray' },
};

/** Cells as runs of one glyph and colour, padded to `width`. */
function Strip<C extends string | null>({ cells, width, look }: { cells: readonly C[]; width: number; look: (c: Exclude<C, null>) => { glyph: string; color: string } }) {
  const runs: { glyph: string; color: string | undefined; n: number }[] = [];
  for (const c of cells) {
    const { glyph, color } = c === null ? { glyph: ' ', color: undefined } : look(c as Exclude<C, null>);
    const last = runs[runs.length - 1];
    if (last && last.glyph === glyph && last.color === color) last.n++;
    else runs.push({ glyph, color, n: 1 });
  }
  return (
    <Text>
      {runs.map((r, i) => (
        <Text key={i} color={r.color}>{r.glyph.repeat(r.n)}</Text>
      ))}
      {' '.repeat(Math.max(0, width - cells.length))}
    </Text>
  );
}

function Label({ children }: { children: string }) {
  return <Text dimColor>{children.length >= LABEL ? `${children.slice(0, LABEL - 2)}… ` : children.padEnd(LABEL)}</Text>;
}

function CountersLine({ label, counters, rates }: { label: string; counters: Counters; rates: Counters | null }) {
  const rate = (k: keyof Counters) => (rates && rates[k] >= 0.5 ? <Text dimColor> {Math.round(rates[k])}/s</Text> : null);
  return (
    <Text wrap="truncate-end">
      <Label>{label}</Label>
      attempts <Text bold>{counters.attempts}</Text>{rate('attempts')}
      {OUTCOMES.map((o) => (
        <Text key={o}>
          {'  '}{o} <Text bold color={counters[o] === 0 ? undefined : o === 'ok' ? 'green' : o === 'other' ? 'yellow' : 'red'}>{counters[o]}</Text>{rate(o)}
        </Text>
      ))}
    </Text>
  );
}

function Header({ s, elapsed }: { s: LiveState; elapsed: number }) {
  const runs = s.variant ? s.repeat[s.variant.name] : undefined;
  const end = s.end;
  return (
    <>
      <Text wrap="truncate-end">
        {s.scenario === null ? <Text dimColor>scenario: starting</Text> : <Text bold>{s.scenario}</Text>}
        {s.seed !== null ? <Text dimColor>  seed {s.seed}</Text> : null}
        {s.variants.length > 0 ? <Text dimColor>  {plural(s.variants.length, 'variant')}</Text> : null}
        {end ? (
          end.interrupted ? <Text color="yellow">  interrupted by {end.interrupted}: torn down</Text> : <Text color={end.exitCode === 0 ? 'green' : 'red'}>  finished: exit {end.exitCode}</Text>
        ) : null}
      </Text>
      {s.variant ? (
        <Text wrap="truncate-end">
          <Label>variant</Label>
          <Text bold>{s.variant.name}</Text> ({s.variant.role})
          {s.run ? <Text>  run <Text bold>{s.run.n}/{s.run.runs}</Text> <Text dimColor>seed {s.run.seed}</Text></Text> : runs !== undefined ? <Text dimColor>  {plural(runs, 'run')}</Text> : null}
          {s.phase ? <Text>  phase <Text color={s.phase === 'timeline' ? 'cyan' : undefined}>{s.phase}</Text></Text> : null}
          {s.clock ? <Text>  <Text bold>{formatDuration(elapsed)}</Text></Text> : null}
        </Text>
      ) : null}
    </>
  );
}

function Timeline({ s, elapsed, width }: { s: LiveState; elapsed: number; width: number }) {
  const scale = stripScale(elapsed, width);
  const devices = devicePlugs(s);
  const services = Object.entries(s.services);
  const reloads = s.reloads.slice(-MAX_RECENT);
  const marks = s.marks.slice(-MAX_RECENT);
  return (
    <>
      {services.length > 0 && s.phase !== 'timeline' ? (
        <Text wrap="truncate-end">
          <Label>services</Label>
          {services.map(([name, state], i) => <Text key={name}>{i > 0 ? '  ' : ''}{name} <Text color={state === 'ready' || state === 'reloaded' ? 'green' : state === 'exited' ? 'red' : undefined}>{state}</Text></Text>)}
        </Text>
      ) : null}
      {s.clock ? (
        <Text wrap="truncate-end">
          <Label>timeline</Label>
          <Strip cells={eventCells(s, elapsed, scale, width)} width={width} look={(c) => EVENT_GLYPH[c]} />
          <Text dimColor> {formatDuration(scale)}/col  ^ step R reload * mark ! error</Text>
        </Text>
      ) : null}
      {devices.slice(0, MAX_ROWS).map((d) => (
        <Text key={`${d.host}/${d.dev}`} wrap="truncate-end">
          <Label>{`${d.host}/${d.dev}`}</Label>
          <Strip cells={plugCells(d.windows, elapsed, scale, width)} width={width} look={(c) => PLUG_GLYPH[c]} />
          {d.current ? (
            <Text> <Text bold color={PLUG_GLYPH[d.current.state].color}>{d.current.state}</Text> <Text dimColor>since {formatDuration(d.current.fromMs)}</Text>{d.current.match ? <Text>  match {d.current.match}</Text> : null}</Text>
          ) : (
            <Text dimColor> detached</Text>
          )}
        </Text>
      ))}
      {devices.length > MAX_ROWS ? <Text dimColor>{''.padEnd(LABEL)}and {plural(devices.length - MAX_ROWS, 'more device')}</Text> : null}
      {s.clock ? (
        <Text wrap="truncate-end">
          <Label>step</Label>
          {s.steps.length > 0 ? s.steps.map((x, i) => <Text key={x.index}>{i > 0 ? ', ' : ''}<Text bold>#{x.index} {x.step}</Text> <Text dimColor>since {formatDuration(x.atMs)}</Text></Text>) : <Text dimColor>none running</Text>}
          <Text dimColor>  {s.stepsDone} done</Text>
          {s.failedSteps.length > 0 ? <Text color="red">  #{s.failedSteps[0]!.index} {s.failedSteps[0]!.step} failed: {s.failedSteps[0]!.error}</Text> : null}
        </Text>
      ) : null}
      {reloads.length > 0 ? (
        <Text wrap="truncate-end">
          <Label>reloads</Label>
          {s.reloads.length > reloads.length ? <Text dimColor>{s.reloads.length - reloads.length} more  </Text> : null}
          {reloads.map((r, i) => <Text key={i}>{i > 0 ? '  ' : ''}{r.service} <Text color="cyan">{r.strategy}</Text> {msText(r.ms)} <Text dimColor>{at(r.atMs)}</Text></Text>)}
        </Text>
      ) : null}
      {marks.length > 0 ? (
        <Text wrap="truncate-end">
          <Label>marks</Label>
          {marks.map((m, i) => <Text key={i}>{i > 0 ? '  ' : ''}<Text color="yellow">{m.name}</Text> <Text dimColor>{at(m.atMs)}</Text></Text>)}
        </Text>
      ) : null}
    </>
  );
}

function Outcomes({ s }: { s: LiveState }) {
  const loads = Object.entries(s.load);
  if (loads.length === 0 && s.totals.attempts === 0) return null;
  return (
    <>
      <CountersLine label="outcomes" counters={s.totals} rates={s.rates} />
      {loads.length > 1 ? loads.slice(0, MAX_ROWS).map(([name, c]) => <CountersLine key={name} label={`  ${name}`} counters={c} rates={null} />) : null}
    </>
  );
}

function Variants({ s }: { s: LiveState }) {
  const finished = new Set(s.finished.map((v) => v.name));
  const current = s.variant && !finished.has(s.variant.name) ? s.variant : null;
  const pending = s.variants.filter((v) => !finished.has(v) && v !== current?.name);
  const rows = s.finished.slice(-MAX_ROWS);
  return (
    <>
      {s.finished.length > rows.length ? <Text dimColor>{''.padEnd(LABEL)}{plural(s.finished.length - rows.length, 'earlier variant')}</Text> : null}
      {rows.map((v) => {
        const ok = v.passed && v.errors === 0;
        return (
          <Text key={v.name} wrap="truncate-end">
            <Label>{v.name === rows[0]?.name ? 'variants' : ''}</Label>
            <Text color={ok ? 'green' : 'red'}>{ok ? '✓' : '✗'}</Text> <Text bold>{v.name}</Text> ({String(v.role)})  {plural(v.runs, 'run')}, {v.reproduced} reproduced, rate <Text bold>{pct(v.rate)}</Text>
            {v.errors > 0 ? <Text color="red">  {plural(v.errors, 'error')}</Text> : null}
          </Text>
        );
      })}
      {current ? (
        <Text wrap="truncate-end">
          <Label>{rows.length === 0 ? 'variants' : ''}</Label>
          <Text color="cyan">▸</Text> <Text bold>{current.name}</Text> ({current.role})  {s.runOutcomes.length}/{s.repeat[current.name] ?? '?'} run{s.repeat[current.name] === 1 ? '' : 's'} done, {s.runOutcomes.filter((r) => r.reproduced).length} reproduced
          {s.runOutcomes.some((r) => r.error) ? <Text color="red">  {plural(s.runOutcomes.filter((r) => r.error).length, 'error')}</Text> : null}
        </Text>
      ) : null}
      {pending.length > 0 ? (
        <Text wrap="truncate-end" dimColor>
          <Label>{rows.length === 0 && !current ? 'variants' : ''}</Label>
          next: {pending.map((v) => `${v} (${plural(s.repeat[v] ?? 0, 'run')})`).join(', ')}
        </Text>
      ) : null}
    </>
  );
}

interface LiveViewProps {
  readonly state: LiveState;
  /** The wall clock for this frame (ms): the elapsed time moves on from the latest event with it. */
  readonly nowMs: number;
  /** The terminal's width. */
  readonly columns: number;
}

function LiveView({ state, nowMs, columns }: LiveViewProps) {
  const elapsed = elapsedMs(state, nowMs);
  // Room after the strip for a device's state and match, or the strip's scale and legend.
  const width = Math.max(10, Math.min(MAX_STRIP, columns - LABEL - 46));
  return (
    <>
      <Static items={[...state.log]}>
        {(line, i) => (
          <Text key={i} dimColor>{line}</Text>
        )}
      </Static>
      <Box flexDirection="column" width={columns}>
        <Header s={state} elapsed={elapsed} />
        <Timeline s={state} elapsed={elapsed} width={width} />
        <Outcomes s={state} />
        <Variants s={state} />
      </Box>
    </>
  );
}

/** Hands ink's "write above the view" out while the view is mounted, and null once it is not. */
function WriteAbove({ onWriter }: { onWriter: (write: ((data: string) => void) | null) => void }) {
  const { write } = useStdout();
  // A layout effect: its cleanup runs inside ink's unmount, also when ink unmounts at process exit.
  useLayoutEffect(() => {
    onWriter(write);
    return () => onWriter(null);
  }, [write, onWriter]);
  return null;
}

/**
 * Route writes to `out` through `writeAbove` while there is one (whole lines;
 * a partial line waits for its end), straight to `out` otherwise. Returns the
 * stream for ink, which writes straight to `out`, and what undoes it.
 */
function divert(out: NodeJS.WriteStream): { inkOut: NodeJS.WriteStream; setWriter(write: ((data: string) => void) | null): void; restore(): void } {
  const original = out.write;
  const own = Object.prototype.hasOwnProperty.call(out, 'write');
  let writer: ((data: string) => void) | null = null;
  let pending = '';
  const direct = (...args: Parameters<NodeJS.WriteStream['write']>) => (original as (...a: unknown[]) => boolean).apply(out, args);
  const flush = () => {
    if (pending) direct(pending);
    pending = '';
  };
  out.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), callback?: (e?: Error | null) => void): boolean => {
    if (!writer) return direct(chunk as string, encoding as BufferEncoding, callback);
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    const cut = pending.lastIndexOf('\n') + 1;
    if (cut > 0) {
      const lines = pending.slice(0, cut);
      pending = pending.slice(cut);
      writer(lines);
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) process.nextTick(done);
    return true;
  }) as NodeJS.WriteStream['write'];
  const inkOut = new Proxy(out, {
    get(target, key) {
      if (key === 'write') return direct;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    inkOut,
    setWriter(write) {
      // Unmounted: the view's last frame is final, a partial line goes below it.
      if (!write) flush();
      writer = write;
    },
    restore() {
      writer = null;
      flush();
      if (own) out.write = original;
      else delete (out as { write?: unknown }).write;
    },
  };
}

export interface LiveViewHandle {
  /** Fold in one event; never throws and never draws (the timer does). */
  onEvent(event: ScenarioEvent): void;
  /** Draw the last frame, unmount, give the terminal back (cursor shown). Safe to call more than once. */
  finish(): Promise<void>;
}

export interface LiveViewOptions {
  /** Frames per second at most (default 10). */
  fps?: number;
  /** The wall clock (tests). */
  now?: () => number;
}

/** Mount the live view on `out` (a TTY) and return what feeds and ends it. */
export function startLiveView(out: NodeJS.WriteStream, options: LiveViewOptions = {}): LiveViewHandle {
  const fps = options.fps ?? 10;
  const now = options.now ?? Date.now;
  let state = initialLiveState();
  let dirty = false;
  let finished: Promise<void> | null = null;
  const stream = divert(out);
  const frame = () => (
    <>
      <LiveView state={state} nowMs={now()} columns={out.columns || 80} />
      <WriteAbove onWriter={stream.setWriter} />
    </>
  );
  const instance: Instance = render(frame(), {
    stdout: stream.inkOut,
    stderr: stream.inkOut,
    // Ctrl-C is the runner's: it tears the run down and the summary says so.
    exitOnCtrlC: false,
    // console output is left alone: nothing of a run writes there, and stdout keeps its meaning.
    patchConsole: false,
    maxFps: fps,
  });
  const paint = () => {
    // While the timeline plays the clock moves on even without events.
    if (!dirty && !(state.phase === 'timeline' && state.end === null)) return;
    dirty = false;
    instance.rerender(frame());
  };
  const timer = setInterval(paint, Math.ceil(1000 / fps));
  // The view never keeps the process alive.
  timer.unref();
  return {
    onEvent(event) {
      if (finished) return;
      try {
        state = reduceLive(state, event, now());
        dirty = true;
      } catch {
        // A view problem must never stop a run: that event is simply not shown.
      }
    },
    finish() {
      // Everything up to the unmount happens now, synchronously: the terminal is back before this returns.
      finished ??= (async () => {
        clearInterval(timer);
        // Asked for before unmounting: it settles once the last frame is written.
        const exited = instance.waitUntilExit().catch(() => undefined);
        try {
          if (dirty) instance.rerender(frame());
        } finally {
          instance.unmount();
          stream.restore();
        }
        await exited;
      })().catch(() => undefined);
      return finished;
    },
  };
}
