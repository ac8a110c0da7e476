/**
 * `--report out.html`: the collector and the page built from a known event
 * sequence (plug windows, release_one, reloads, marks, a run cut short), the
 * lab's event stream decoded back into events, and a real run on this machine
 * whose report is opened in headless Chromium: the screenshot of its timeline
 * must show the outcome colours, the reload line and (in the synthetic page)
 * the plug band.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { canRun, qplug, removeWork, root, scenarioFile, work } from './scenario-run-helpers.js';
import type { Attempt, RunResult, ScenarioEvent, VariantSummary } from '../../src/scenarios/run/events.js';
import { representativeRun, ScenarioCollector } from '../../src/scenarios/report/collect.js';
import { MARK_COLOUR, OUTCOME_COLOURS, PLUG_BAND_COLOUR, PLUG_LANE_COLOUR, RELOAD_COLOUR, renderReport, renderTimeline } from '../../src/scenarios/report/html.js';
import { decodeEvent, encodeEvent } from '../../src/scenarios/run/lab.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const built = existsSync(join(root, 'dist', 'scenarios', 'report', 'html.js'));

afterAll(removeWork);

const outcomes = (o: Partial<RunResult['outcomes']> = {}): RunResult['outcomes'] => ({ ok: 0, reset: 0, refused: 0, timeout: 0, other: 0, ...o });
const latency = { min: 1, mean: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1 };

function result(variant: string, run: number, reproduced: boolean, o: RunResult['outcomes']): RunResult {
  const attempts = Object.values(o).reduce((n, v) => n + v, 0);
  return {
    variant, role: 'bug', run, runId: `0000000${run}`, seed: run, durationMs: 3000, outcomes: o, attempts, latency, load: {},
    signatureSeen: reproduced, signatureSeenAtMs: reproduced ? 1200 : null, signature: [{ that: 'conns.timeout > 0', because: null, held: reproduced, value: o.timeout }],
    expectations: [{ that: 'conns.reset == 0', because: 'a <reset> & "never"', held: true, value: 0 }],
    reproduced, passed: reproduced, error: null, environmentError: false, marks: [], reloads: [], plugWindows: [], warnings: [],
  };
}

/** Attempts every 20 ms for 3 s: those started while the plug held time out, the rest succeed. */
function attempts(plugFrom: number, plugTo: number): Attempt[] {
  return Array.from({ length: 150 }, (_, i) => {
    const startMs = i * 20;
    const held = startMs >= plugFrom && startMs < plugTo;
    return { load: 'conns', startMs, outcome: held ? 'timeout' : i % 37 === 0 ? 'refused' : 'ok', latencyMs: held ? 1000 : 0.5 };
  });
}

/** Two runs of a bug variant (the second reproduces), one of a fix variant cut short by SIGINT. */
function syntheticEvents(): ScenarioEvent[] {
  const bug = 'freeze';
  const e: ScenarioEvent[] = [
    { type: 'scenario-start', scenario: 'synthetic <report>', seed: 7, variants: [bug, 'fixed'], repeat: { [bug]: 2, fixed: 1 } },
    { type: 'variant-start', variant: bug, role: 'bug' },
    { type: 'run-start', variant: bug, run: 1, runs: 2, runId: '00000001', seed: 7 },
    { type: 'attempts', variant: bug, run: 1, attempts: attempts(0, 0) },
    { type: 'run-end', result: result(bug, 1, false, outcomes({ ok: 146, refused: 4 })) },
    { type: 'run-start', variant: bug, run: 2, runs: 2, runId: '00000002', seed: 8 },
    { type: 'plug', variant: bug, run: 2, host: 'client', dev: 'c0', state: 'buffering', match: 'tcp dport 8080 syn', atMs: 500 },
    { type: 'attempts', variant: bug, run: 2, attempts: attempts(500, 1000).slice(0, 80) },
    { type: 'plug', variant: bug, run: 2, host: 'client', dev: 'c0', state: 'release-one', match: null, atMs: 800 },
    { type: 'plug', variant: bug, run: 2, host: 'client', dev: 'c0', state: 'pass-through', match: null, atMs: 1000 },
    { type: 'reload', variant: bug, run: 2, service: 'lb', strategy: 'restart', pid: 10, oldPid: 11, newPid: 12, ms: 120, callMs: 124, atMs: 1500 },
    { type: 'mark', variant: bug, run: 2, name: 'half<way>', atMs: 1600 },
    { type: 'plug', variant: bug, run: 2, host: 'server', dev: 's0', state: 'buffering', match: null, atMs: 2000 },
    { type: 'attempts', variant: bug, run: 2, attempts: attempts(2000, 2500).slice(80) },
    { type: 'plug', variant: bug, run: 2, host: 'server', dev: 's0', state: 'detached', match: null, atMs: 2500 },
    { type: 'run-end', result: result(bug, 2, true, outcomes({ ok: 120, timeout: 30 })) },
  ];
  const summary: VariantSummary = { name: bug, role: 'bug', seed: 7, runs: 2, reproduced: 1, rate: 0.5, first_reproduction_ms: 4200, outcomes: outcomes({ ok: 266, refused: 4, timeout: 30 }), attempts: 300, passed: true, errors: 0, results: [] };
  e.push({ type: 'variant-end', summary });
  e.push({ type: 'variant-start', variant: 'fixed', role: 'fix' });
  e.push({ type: 'run-start', variant: 'fixed', run: 1, runs: 1, runId: '00000003', seed: 7 });
  e.push({ type: 'plug', variant: 'fixed', run: 1, host: 'client', dev: 'c0', state: 'buffering', match: null, atMs: 300 });
  e.push({ type: 'attempts', variant: 'fixed', run: 1, attempts: attempts(300, 3000).slice(0, 40) });
  e.push({ type: 'warning', variant: null, run: null, message: 'SIGINT: tearing down' });
  return e;
}

function collected() {
  const c = new ScenarioCollector();
  for (const e of syntheticEvents()) c.add(e);
  return c.result();
}

describe('scenario report from events', () => {
  it('the collector keeps the first run and the first run that reproduced, with plug windows per host/dev', () => {
    const c = collected();
    expect(c.variants.map((v) => v.name)).toEqual(['freeze', 'fixed']);
    const [bug, fixed] = c.variants;
    expect(bug!.results.map((r) => r.run)).toEqual([1, 2]);
    expect(bug!.timelines.map((t) => t.run)).toEqual([1, 2]);
    const t = representativeRun(bug!)!;
    expect(t.run).toBe(2);
    expect(t.attempts).toHaveLength(150);
    expect(t.plugWindows).toEqual([
      { host: 'client', dev: 'c0', match: 'tcp dport 8080 syn', fromMs: 500, toMs: 1000 },
      { host: 'server', dev: 's0', match: null, fromMs: 2000, toMs: 2500 },
    ]);
    expect(t.releaseOnes).toEqual([{ host: 'client', dev: 'c0', atMs: 800 }]);
    expect(t.reloads.map((r) => [r.strategy, r.ms, r.atMs])).toEqual([['restart', 120, 1500]]);
    // Cut short: no run-end, the plug still frozen.
    const cut = representativeRun(fixed!)!;
    expect(cut.result).toBeNull();
    expect(cut.plugWindows).toEqual([{ host: 'client', dev: 'c0', match: null, fromMs: 300, toMs: null }]);
    expect(c.warnings).toEqual(['SIGINT: tearing down']);
  });

  it('the page: table rows, an SVG per variant with plug bands, lanes, reload and mark lines; escaped; nothing external', () => {
    const html = renderReport(collected(), { where: 'lab', note: 'interrupted <by> SIGINT', bucketMs: 100 });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<tr class="variant">/g)).toHaveLength(2);
    expect(html).toMatch(/<tr class="variant"><td>freeze<\/td><td class="role">bug<\/td><td>2<\/td><td>1<\/td><td>50%<\/td><td>4200<\/td><td>266<\/td><td>0<\/td><td>4<\/td><td>30<\/td><td>0<\/td><td class="pass">yes<\/td><\/tr>/);
    expect(html).toContain('<td>cut short</td>');
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
    // freeze run 2: two windows (two lanes); fixed: one window open to the end.
    expect(html.match(/class="plug-band"/g)).toHaveLength(3);
    expect(html.match(/class="plug-window"/g)).toHaveLength(3);
    expect(html).toContain('plug client/c0');
    expect(html).toContain('plug server/s0');
    expect(html.match(/class="release-one"/g)).toHaveLength(1);
    expect(html.match(/<line class="reload"/g)).toHaveLength(1);
    expect(html).toContain('restart 120 ms');
    expect(html).toContain('half&#60;way&#62;');
    expect(html).toContain('synthetic &#60;report&#62;');
    expect(html).toContain('interrupted &#60;by&#62; SIGINT');
    expect(html).toContain('a &#60;reset&#62; &#38; &#34;never&#34;');
    expect(html).toContain('ran in the kernel lab');
    expect(html).toContain('seed 7');
    expect(html).toContain('run 2 (seed 8, run id 00000002): reproduced');
    expect(html).not.toMatch(/<script|https?:|\bsrc=|\bhref=|url\(|@import/i);
    for (const k of ['ok', 'refused', 'timeout'] as const) expect(html).toContain(`fill="${OUTCOME_COLOURS[k]}"`);
  });

  it('bars: attempts bucketed by start time, stacked by outcome', () => {
    const t = representativeRun(collected().variants[0]!)!;
    const svg = renderTimeline(t, { bucketMs: 500 });
    // 25 attempts per 500 ms bucket; 500-1000 ms all held by the plug.
    expect(svg).toContain('0.5–1 s: 25 timeout');
    expect(svg).toMatch(/0–0\.5 s: 24 ok.*0–0\.5 s: 1 refused/);
  });

  it('the lab stream: events survive the round trip, anything else is not an event', () => {
    for (const e of syntheticEvents()) expect(decodeEvent(encodeEvent(e).trimEnd())).toEqual(e);
    const line = encodeEvent({ type: 'mark', variant: 'v', run: 1, name: 'm', atMs: 5 }).trimEnd();
    expect(decodeEvent(`noise without a newline${line}`)).toEqual({ type: 'mark', variant: 'v', run: 1, name: 'm', atMs: 5 });
    expect(decodeEvent('{"type":"mark"}')).toBeNull();
    expect(decodeEvent('\x1e{"type":"unknown"}')).toBeNull();
    expect(decodeEvent('\x1e{"type":')).toBeNull();
  });
});

/** Pixels per colour (±2 per channel) of a PNG, decoded by the browser itself. */
async function colourCounts(page: Page, png: Buffer, colours: readonly string[]): Promise<{ width: number; height: number; counts: number[] }> {
  return page.evaluate(
    async ({ data, colours }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      const wanted = colours.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
      const counts = wanted.map(() => 0);
      for (let i = 0; i < px.length; i += 4) {
        wanted.forEach((rgb, k) => {
          if (Math.abs(px[i]! - rgb[0]!) <= 2 && Math.abs(px[i + 1]! - rgb[1]!) <= 2 && Math.abs(px[i + 2]! - rgb[2]!) <= 2) counts[k]! += 1;
        });
      }
      return { width: img.width, height: img.height, counts };
    },
    { data: png.toString('base64'), colours },
  );
}

describe.skipIf(!hasChromium)(`the report in headless Chromium [skipped where ${CHROMIUM} is missing: install the Debian package chromium]`, () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page, screenshots its first timeline next to it, and counts the colours in it. */
  async function shoot(htmlFile: string, colours: readonly string[]) {
    await page.goto(`file://${htmlFile}`);
    const svg = page.locator('svg.timeline').first();
    const png = await svg.screenshot({ path: htmlFile.replace(/\.html$/, '.png') });
    const blank = await browser.newPage();
    try {
      return await colourCounts(blank, png, colours);
    } finally {
      await blank.close();
    }
  }

  it('synthetic page: the timeline shows outcome colours, the plug band, the plug lane and the reload line', async () => {
    const file = join(work, 'synthetic.html');
    writeFileSync(file, renderReport(collected(), { where: 'host', bucketMs: 100 }));
    const colours = [OUTCOME_COLOURS.ok, OUTCOME_COLOURS.timeout, PLUG_BAND_COLOUR, PLUG_LANE_COLOUR, RELOAD_COLOUR];
    const shot = await shoot(file, colours);
    expect(shot.width).toBeGreaterThan(500);
    expect(shot.height).toBeGreaterThan(200);
    colours.forEach((c, i) => expect(shot.counts[i], `pixels of ${c}`).toBeGreaterThan(c === RELOAD_COLOUR ? 50 : 500));
  });

  it.skipIf(!canRun || !built)('a real run on this machine: --report is written (on exit 1 too) and its timeline shows the attempts and reloads [skipped without root, ip netns or a built tree]', async () => {
    const file = scenarioFile('report-reload', `
name: report-reload
description: |
  Two restart reloads of the proxy under load; <b>escaped</b>.
duration: 2s
topology:
  hosts: [client, server]
  links:
    - a: { host: client, dev: c0, address: 10.9.5.1/24 }
      b: { host: server, dev: s0, address: 10.9.5.2/24 }
services:
  app: { type: echo, host: server, address: 127.0.0.1, port: 9000 }
  lb:
    type: proxy
    host: server
    reload_strategy: restart
    config:
      global: { grace: 1s }
      frontends: { main: { bind: "0.0.0.0:8080", backend: app } }
      backends: { app: { servers: [{ name: s1, address: "127.0.0.1:9000" }] } }
load:
  conns: { type: tcp_connect, from: client, to: server:8080, rate: 200, hold: 20ms, timeout: 1s }
timeline:
  - { at: 500ms, type: reload, service: lb }
  - { at: 1s, type: mark, name: halfway }
  - { at: 1200ms, type: reload, service: lb }
expect:
  - { that: conns.ok == 0, because: fails on purpose so that the report is written on exit 1 }
`);
    const out = join(work, 'real.html');
    const r = qplug(['scenario', file, '--report', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('exit 1: an expectation failed');
    expect(r.stderr).toContain(`report written to ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h1>report-reload</h1>');
    expect(html).toContain('&#60;b&#62;escaped&#60;/b&#62;');
    expect(html).toContain('ran on this machine');
    expect(html.match(/<line class="reload"/g)).toHaveLength(2);
    expect(html.match(/<line class="mark"/g)).toHaveLength(1);
    expect(html).toMatch(/<tr class="variant"><td>default<\/td><td class="role">null<\/td><td>1<\/td>/);
    expect(html).not.toMatch(/<script|https?:|\bsrc=|\bhref=|url\(/i);
    const shot = await shoot(out, [OUTCOME_COLOURS.ok, RELOAD_COLOUR, MARK_COLOUR]);
    expect(existsSync(join(work, 'real.png'))).toBe(true);
    expect(shot.width).toBeGreaterThan(500);
    expect(shot.counts[0], 'pixels of ok bars').toBeGreaterThan(1000);
    expect(shot.counts[1], 'pixels of the reload lines').toBeGreaterThan(100);
    expect(shot.counts[2], 'pixels of the mark line').toBeGreaterThan(20);
  });
});
