/**
 * The --report file: one self-contained HTML page (inline CSS and SVG, no
 * script, nothing fetched) with the scenario, where and with which seed it
 * ran, a table per variant, and per variant the timeline of one run: its
 * attempts bucketed by start time and stacked by outcome, against the plug
 * windows, reloads and marks of that run.
 */
import { formatDuration } from '../../plug/units.js';
import { OUTCOMES, type Outcome } from '../expression.js';
import type { ScenarioPlan } from '../planTypes.js';
import type { Outcomes, RunResult } from '../run/events.js';
import { pct, tallyRuns } from '../run/report.js';
import { representativeRun, type CollectedScenario, type RunTimeline, type VariantRecord } from './collect.js';

export const OUTCOME_COLOURS: Readonly<Record<Outcome, string>> = {
  ok: '#2ca25f',
  reset: '#fd8d3c',
  refused: '#de2d26',
  timeout: '#756bb1',
  other: '#969696',
};
/** Behind the bars while a plug holds traffic (any host/dev of the run). */
export const PLUG_BAND_COLOUR = '#deebf7';
/** A plug window in its host/dev lane. */
export const PLUG_LANE_COLOUR = '#6baed6';
const RELEASE_ONE_COLOUR = '#08519c';
export const RELOAD_COLOUR = '#37474f';
export const MARK_COLOUR = '#8c6d31';

export interface ReportOptions {
  /** The scenario's plan: its description, its variants' descriptions and durations. */
  plan?: ScenarioPlan | null;
  /** Where it ran, when no summary says so (a run the lab never finished). */
  where?: 'host' | 'lab' | null;
  /** A line at the top, e.g. why the run has no summary. */
  note?: string | null;
  /** Bucket width of the timelines; default: from the run's length (50 ms up). */
  bucketMs?: number;
  /** Printed as the report's date; default: now. */
  generatedAt?: Date;
}

/** Text for HTML text and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const num = (v: number) => String(Math.round(v * 100) / 100);
const msText = (v: number | null) => (v === null ? '–' : v < 1000 ? `${num(v)} ms` : formatDuration(Math.round(v)));

/** A bucket width that gives at most ~120 bars. */
function bucketFor(extentMs: number): number {
  return [50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000].find((b) => extentMs / b <= 120) ?? Math.ceil(extentMs / 120 / 1000) * 1000;
}

/** A round step for axis ticks: about `count` ticks over `span`. */
function tickStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  return ([1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
}

/** How far the run's timeline reaches, ms after t0. */
function timelineExtent(t: RunTimeline, durationMs?: number): number {
  const ends = [
    durationMs ?? 0,
    ...t.attempts.map((a) => a.startMs + a.latencyMs),
    ...t.plugWindows.map((w) => w.toMs ?? w.fromMs),
    ...t.releaseOnes.map((r) => r.atMs),
    ...t.reloads.map((r) => r.atMs),
    ...t.marks.map((m) => m.atMs),
    ...t.steps.map((s) => s.endMs ?? s.startMs),
  ];
  return Math.max(1000, ...ends.filter((v) => Number.isFinite(v)));
}

/** Attempts per bucket of start time, per outcome. */
function bucketAttempts(t: RunTimeline, bucketMs: number, extentMs: number): Outcomes[] {
  const n = Math.max(1, Math.ceil(extentMs / bucketMs));
  const buckets = Array.from({ length: n }, () => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
  for (const a of t.attempts) {
    const i = Math.min(n - 1, Math.max(0, Math.floor(a.startMs / bucketMs)));
    buckets[i]![a.outcome] += 1;
  }
  return buckets;
}

export interface TimelineOptions {
  bucketMs?: number;
  /** The run's planned length (the x axis reaches at least this far). */
  durationMs?: number;
  /** Width of the SVG in px. */
  width?: number;
}

/**
 * One run as an SVG: stacked bars of attempts per bucket (by start time,
 * coloured by outcome) over light bands where a plug held traffic; a lane per
 * plugged host/dev; reloads and marks as labelled vertical lines; x in seconds.
 */
export function renderTimeline(t: RunTimeline, o: TimelineOptions = {}): string {
  const width = o.width ?? 960;
  const extent = timelineExtent(t, o.durationMs);
  const bucketMs = o.bucketMs ?? bucketFor(extent);
  const buckets = bucketAttempts(t, bucketMs, extent);
  const lanes = [...new Set(t.plugWindows.map((w) => `${w.host}/${w.dev}`).concat(t.releaseOnes.map((r) => `${r.host}/${r.dev}`)))];
  const left = 96;
  const right = 16;
  const legendH = 26;
  const top = legendH + 8;
  const chartH = 200;
  const bottom = top + chartH;
  const laneTop = bottom + 30;
  const laneH = 16;
  const height = laneTop + lanes.length * (laneH + 4) + 26;
  const plotW = width - left - right;
  const xEnd = Math.ceil(extent / bucketMs) * bucketMs;
  const x = (ms: number) => left + (Math.min(Math.max(ms, 0), xEnd) / xEnd) * plotW;
  const maxStack = Math.max(1, ...buckets.map((b) => OUTCOMES.reduce((n, k) => n + b[k], 0)));
  const yStep = Math.max(1, tickStep(maxStack, 4));
  const yMax = Math.ceil(maxStack / yStep) * yStep;
  const y = (count: number) => bottom - (count / yMax) * chartH;
  const parts: string[] = [];

  // Legend.
  const legend: [string, string][] = [
    ...OUTCOMES.map((k): [string, string] => [k, OUTCOME_COLOURS[k]]),
    ['plug holding', PLUG_BAND_COLOUR],
  ];
  let lx = left;
  for (const [label, colour] of legend) {
    parts.push(`<rect class="legend" x="${lx}" y="6" width="12" height="12" fill="${colour}" stroke="#999" stroke-width="0.5"/><text x="${lx + 16}" y="16">${escapeHtml(label)}</text>`);
    lx += 24 + label.length * 7;
  }
  parts.push(`<line x1="${lx}" y1="12" x2="${lx + 14}" y2="12" stroke="${RELOAD_COLOUR}" stroke-width="2"/><text x="${lx + 18}" y="16">reload</text>`);
  lx += 70;
  parts.push(`<line x1="${lx}" y1="12" x2="${lx + 14}" y2="12" stroke="${MARK_COLOUR}" stroke-width="1.5" stroke-dasharray="3 2"/><text x="${lx + 18}" y="16">mark</text>`);

  // Plug bands, behind everything in the chart.
  for (const w of t.plugWindows) {
    const x0 = x(w.fromMs);
    const x1 = x(w.toMs ?? xEnd);
    parts.push(`<rect class="plug-band" x="${num(x0)}" y="${top}" width="${num(Math.max(1, x1 - x0))}" height="${chartH}" fill="${PLUG_BAND_COLOUR}"><title>${escapeHtml(plugTitle(w))}</title></rect>`);
  }

  // A reload's line is where it finished; a faint span before it, while it ran.
  for (const r of t.reloads) {
    const [from, to] = [x(r.atMs - r.ms), x(r.atMs)];
    if (to - from >= 1) parts.push(`<rect class="reload-span" x="${num(from)}" y="${top}" width="${num(to - from)}" height="${chartH}" fill="${RELOAD_COLOUR}" fill-opacity="0.08"/>`);
  }

  // Grid and y axis.
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(`<line x1="${left}" y1="${num(y(v))}" x2="${width - right}" y2="${num(y(v))}" stroke="#e5e5e5" stroke-width="1"/><text class="tick" x="${left - 6}" y="${num(y(v) + 4)}" text-anchor="end">${num(v)}</text>`);
  }
  parts.push(`<text class="axis" transform="translate(14 ${top + chartH / 2}) rotate(-90)" text-anchor="middle">attempts / ${escapeHtml(msText(bucketMs))}</text>`);

  // Bars: attempts started in each bucket, stacked by outcome.
  const barW = Math.max(1, plotW / buckets.length - (plotW / buckets.length > 3 ? 1 : 0));
  buckets.forEach((b, i) => {
    let base = 0;
    for (const k of OUTCOMES) {
      if (b[k] === 0) continue;
      const y0 = y(base + b[k]);
      parts.push(`<rect class="bar bar-${k}" x="${num(x(i * bucketMs))}" y="${num(y0)}" width="${num(barW)}" height="${num(y(base) - y0)}" fill="${OUTCOME_COLOURS[k]}"><title>${escapeHtml(`${num(i * bucketMs / 1000)}–${num((i + 1) * bucketMs / 1000)} s: ${b[k]} ${k}`)}</title></rect>`);
      base += b[k];
    }
  });

  // Reloads and marks: vertical lines with their label along them.
  for (const r of t.reloads) {
    const rx = String(Math.round(x(r.atMs)));
    const label = `reload ${r.service}: ${r.strategy}, ${msText(r.ms)}`;
    parts.push(`<line class="reload" x1="${rx}" y1="${top}" x2="${rx}" y2="${bottom}" stroke="${RELOAD_COLOUR}" stroke-width="2" shape-rendering="crispEdges"><title>${escapeHtml(`${label} at ${msText(r.atMs)} (worker ${r.oldPid} → ${r.newPid})`)}</title></line>`);
    parts.push(`<text class="line-label" transform="translate(${num(Number(rx) + 3)} ${top + 4}) rotate(90)">${escapeHtml(`${r.strategy} ${msText(r.ms)}`)}</text>`);
  }
  for (const m of t.marks) {
    const mx = String(Math.round(x(m.atMs)));
    parts.push(`<line class="mark" x1="${mx}" y1="${top}" x2="${mx}" y2="${bottom}" stroke="${MARK_COLOUR}" stroke-width="2" stroke-dasharray="4 3" shape-rendering="crispEdges"><title>${escapeHtml(`mark ${m.name} at ${msText(m.atMs)}`)}</title></line>`);
    parts.push(`<text class="line-label" transform="translate(${num(Number(mx) + 3)} ${top + 4}) rotate(90)">${escapeHtml(m.name)}</text>`);
  }

  // X axis in seconds.
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${width - right}" y2="${bottom}" stroke="#333" stroke-width="1"/>`);
  const xStep = tickStep(xEnd, Math.max(2, Math.floor(plotW / 80)));
  for (let v = 0; v <= xEnd + 1e-6; v += xStep) {
    parts.push(`<line x1="${num(x(v))}" y1="${bottom}" x2="${num(x(v))}" y2="${bottom + 4}" stroke="#333"/><text class="tick" x="${num(x(v))}" y="${bottom + 16}" text-anchor="middle">${num(v / 1000)}</text>`);
  }

  // A lane per plugged host/dev.
  lanes.forEach((lane, i) => {
    const ly = laneTop + i * (laneH + 4);
    parts.push(`<text class="lane" x="${left - 6}" y="${ly + laneH - 4}" text-anchor="end">plug ${escapeHtml(lane)}</text><rect x="${left}" y="${ly}" width="${plotW}" height="${laneH}" fill="#f5f5f5"/>`);
    for (const w of t.plugWindows.filter((p) => `${p.host}/${p.dev}` === lane)) {
      const x0 = x(w.fromMs);
      const x1 = x(w.toMs ?? xEnd);
      parts.push(`<rect class="plug-window" x="${num(x0)}" y="${ly}" width="${num(Math.max(1, x1 - x0))}" height="${laneH}" fill="${PLUG_LANE_COLOUR}"><title>${escapeHtml(plugTitle(w))}</title></rect>`);
    }
    for (const r of t.releaseOnes.filter((p) => `${p.host}/${p.dev}` === lane)) {
      parts.push(`<line class="release-one" x1="${num(x(r.atMs))}" y1="${ly - 2}" x2="${num(x(r.atMs))}" y2="${ly + laneH + 2}" stroke="${RELEASE_ONE_COLOUR}" stroke-width="2"><title>${escapeHtml(`release_one at ${msText(r.atMs)}`)}</title></line>`);
    }
  });
  parts.push(`<text class="axis" x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">time since the load started (s)</text>`);

  const label = `${t.variant} run ${t.run}: attempts by start time and outcome, plug windows, reloads and marks`;
  return `<svg class="timeline" role="img" aria-label="${escapeHtml(label)}" shape-rendering="crispEdges" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function plugTitle(w: { host: string; dev: string; match: string | null; fromMs: number; toMs: number | null }): string {
  return `plug ${w.host}/${w.dev}${w.match ? ` (${w.match})` : ''}: ${msText(w.fromMs)} → ${w.toMs === null ? 'the end of the run' : msText(w.toMs)}`;
}

/** A variant's row, from its summary, or from the runs that ended when it has none (cut short). */
function variantRow(v: VariantRecord): { role: string; runs: number; reproduced: number; rate: number; first: number | null; outcomes: Outcomes; passed: boolean | null } {
  if (v.summary) {
    const s = v.summary;
    return { role: String(s.role), runs: s.runs, reproduced: s.reproduced, rate: s.rate, first: s.first_reproduction_ms, outcomes: s.outcomes, passed: s.passed };
  }
  return { role: v.role ?? 'null', runs: v.results.length, ...tallyRuns(v.results), first: null, passed: null };
}

function runLine(r: RunResult | null, t: RunTimeline): string {
  const head = `run ${t.run} (seed ${t.seed}, run id ${t.runId})`;
  if (r === null) return `${head}: cut short`;
  const verdict = r.error ? `error: ${r.error}` : r.reproduced ? 'reproduced' : 'not reproduced';
  return `${head}: ${verdict}; ${r.attempts} attempts in ${formatDuration(r.durationMs)}`;
}

function checks(r: RunResult): string {
  const items = [
    ...r.signature.map((e) => ({ kind: 'signature', ...e })),
    ...r.expectations.map((e) => ({ kind: 'expect', ...e })),
  ];
  if (items.length === 0) return '';
  const li = items.map((e) => `<li class="${e.held ? 'held' : 'failed'}">${e.held ? '✓' : '✗'} <span class="kind">${e.kind}</span> <code>${escapeHtml(e.that)}</code> (was ${escapeHtml(num(e.value))})${e.because ? ` — ${escapeHtml(e.because)}` : ''}</li>`);
  return `<ul class="checks">${li.join('')}</ul>`;
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
.meta { color: #555; margin: 0 0 12px; } .note { background: #fff4e5; border: 1px solid #f0c080; padding: 6px 10px; }
.description { white-space: pre-wrap; margin: 8px 0 16px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child, td.role { text-align: left; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #c62828; font-weight: 600; }
svg.timeline { display: block; margin: 8px 0; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #333; } svg text.axis { font-size: 12px; }
svg text.line-label { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.checks { list-style: none; padding-left: 0; } .checks .failed { color: #c62828; } .kind { color: #777; font-size: 12px; }
.run { color: #444; } .warnings { color: #8a5a00; }
`;

/** The whole report page. */
export function renderReport(c: CollectedScenario, o: ReportOptions = {}): string {
  const summary = c.summary;
  const plan = o.plan ?? null;
  const name = summary?.scenario ?? c.scenario ?? plan?.name ?? 'scenario';
  const seed = summary?.seed ?? c.seed;
  const where = summary?.where ?? o.where ?? null;
  const when = (o.generatedAt ?? new Date()).toISOString();
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', `<title>${escapeHtml(`qplug scenario report: ${name}`)}</title>`, `<style>${CSS}</style></head><body>`);
  out.push(`<h1>${escapeHtml(name)}</h1>`);
  const meta = [
    `seed ${seed ?? '–'}`,
    where === 'lab' ? 'ran in the kernel lab' : where === 'host' ? 'ran on this machine' : null,
    summary ? `exit ${summary.exit_code}${summary.interrupted ? ` (interrupted by ${summary.interrupted})` : ''}` : null,
    summary ? formatDuration(summary.duration_ms) : null,
    summary?.file ?? plan?.file ?? null,
    when,
  ].filter((m): m is string => m !== null);
  out.push(`<p class="meta">${meta.map(escapeHtml).join(' · ')}</p>`);
  if (o.note) out.push(`<p class="note">${escapeHtml(o.note)}</p>`);
  const description = plan?.description.trim() ?? '';
  if (description) out.push(`<p class="description">${escapeHtml(description)}</p>`);

  out.push('<table class="variants"><thead><tr><th>variant</th><th>role</th><th>runs</th><th>reproduced</th><th>rate</th><th>first_reproduction_ms</th>');
  out.push(`${OUTCOMES.map((k) => `<th>${k}</th>`).join('')}<th>passed</th></tr></thead><tbody>`);
  for (const v of c.variants) {
    const row = variantRow(v);
    const passed = row.passed === null ? '<td>cut short</td>' : `<td class="${row.passed ? 'pass' : 'fail'}">${row.passed ? 'yes' : 'no'}</td>`;
    out.push(`<tr class="variant"><td>${escapeHtml(v.name)}</td><td class="role">${escapeHtml(row.role)}</td><td>${row.runs}</td><td>${row.reproduced}</td><td>${pct(row.rate)}</td><td>${row.first === null ? '–' : num(row.first)}</td>${OUTCOMES.map((k) => `<td>${row.outcomes[k]}</td>`).join('')}${passed}</tr>`);
  }
  out.push('</tbody></table>');

  for (const v of c.variants) {
    const vp = plan?.variants.find((p) => p.variant === v.name);
    out.push(`<section class="variant"><h2>${escapeHtml(v.name)} <span class="meta">(${escapeHtml(variantRow(v).role)})</span></h2>`);
    if (vp?.variantDescription) out.push(`<p class="description">${escapeHtml(vp.variantDescription)}</p>`);
    const t = representativeRun(v);
    if (!t) {
      out.push('<p class="run">no run to show</p></section>');
      continue;
    }
    out.push(`<p class="run">${escapeHtml(runLine(t.result, t))}</p>`);
    out.push(renderTimeline(t, { bucketMs: o.bucketMs, durationMs: vp?.durationMs }));
    if (t.result) out.push(checks(t.result));
    out.push('</section>');
  }
  if (c.warnings.length > 0) out.push(`<h2>Warnings</h2><ul class="warnings">${c.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}
