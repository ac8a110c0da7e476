/** The plain-text and JSON forms of a scenario's results, and the plain progress lines. */
import { formatDuration } from '../../plug/units.js';
import { OUTCOMES } from '../expression.js';
import type { Outcomes, RunResult, ScenarioEvent, ScenarioSummary, VariantSummary } from './events.js';

/** Runs added up: outcomes, how many reproduced, the rate (3 decimals). */
export function tallyRuns(results: readonly RunResult[]): { outcomes: Outcomes; reproduced: number; rate: number } {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, results.reduce((n, r) => n + r.outcomes[o], 0)])) as Outcomes;
  const reproduced = results.filter((r) => r.reproduced).length;
  return { outcomes, reproduced, rate: results.length === 0 ? 0 : Math.round((reproduced / results.length) * 1000) / 1000 };
}

/** A rate (0..1) as a percentage with one decimal. */
export const pct = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
const ms = (v: number | null) => (v === null ? '-' : v < 1 ? `${Math.round(v * 1000)}µs` : v < 1000 ? `${Math.round(v * 10) / 10}ms` : formatDuration(Math.round(v)));

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

function verdict(v: VariantSummary): string {
  if (v.errors > 0) return `FAILED: ${v.errors} run${v.errors === 1 ? '' : 's'} with an error`;
  if (v.role === 'bug') return v.passed ? 'ok: the bug showed' : 'FAILED: the bug never showed';
  return v.passed ? 'ok' : 'FAILED';
}

function worst(results: readonly RunResult[], stat: 'p50' | 'p99' | 'max'): number | null {
  const measured = results.filter((r) => r.attempts > 0);
  return measured.length === 0 ? null : Math.max(...measured.map((r) => r.latency[stat]));
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Reloads and plugs against the slowest connection, per variant: what a fix
 * that holds handshakes across a reload costs (the slowest connection should
 * wait about as long as the plug was held, which is about the reload). Null
 * when no run reloaded or plugged.
 */
function timingRows(variants: readonly VariantSummary[]): string[][] | null {
  const results = variants.flatMap((v) => v.results);
  if (!results.some((r) => r.reloads.length > 0 || r.plugWindows.length > 0)) return null;
  return [
    ['timing', 'reloads', 'reload p50', 'reload max', 'call max', 'longest hold', 'slowest connection'],
    ...variants.map((v) => {
      const reloads = v.results.flatMap((r) => r.reloads.map((x) => x.ms));
      const calls = v.results.flatMap((r) => r.reloads.map((x) => x.callMs));
      const holds = v.results.flatMap((r) => r.plugWindows.filter((w) => w.toMs !== null).map((w) => w.toMs! - w.fromMs));
      const max = (xs: number[]) => ms(xs.length ? Math.max(...xs) : null);
      return [v.name, String(reloads.length), ms(median(reloads)), max(reloads), max(calls), max(holds), ms(worst(v.results, 'max'))];
    }),
  ];
}

/** Per variant a line, a table of outcomes, a table of reload and plug timings (when any), then every failed expectation and error. */
export function formatSummary(s: ScenarioSummary): string {
  const lines: string[] = [];
  const runs = [...new Set(s.variants.map((v) => v.runs))];
  lines.push(`${s.scenario}: seed ${s.seed}, ${s.variants.length} variant${s.variants.length === 1 ? '' : 's'}, ${runs.join('/')} run${runs.length === 1 && runs[0] === 1 ? '' : 's'} each${s.where === 'lab' ? ', in the lab' : ''} (${formatDuration(s.duration_ms)})`);
  lines.push('');
  lines.push(table([
    ['variant', 'role', 'runs', 'reproduced', 'rate', 'first', 'verdict'],
    ...s.variants.map((v) => [v.name, String(v.role), String(v.runs), String(v.reproduced), pct(v.rate), ms(v.first_reproduction_ms), verdict(v)]),
  ]));
  lines.push('');
  lines.push(table([
    ['outcomes', 'attempts', ...OUTCOMES, 'p50', 'p99', 'max'],
    ...s.variants.map((v) => [v.name, String(v.attempts), ...OUTCOMES.map((o) => String(v.outcomes[o])), ms(worst(v.results, 'p50')), ms(worst(v.results, 'p99')), ms(worst(v.results, 'max'))]),
  ]));
  const timing = timingRows(s.variants);
  if (timing) lines.push('', table(timing));
  const problems: string[] = [];
  for (const v of s.variants) {
    for (const r of v.results) {
      const at = `${v.name} run ${r.run} (seed ${r.seed})`;
      if (r.error) problems.push(`${at}: error: ${r.error}`);
      if (v.role === 'bug') {
        if (!r.reproduced) problems.push(`${at}: the signature did not hold: ${r.signature.map((e) => `${e.that} (was ${e.value})`).join(', ')}`);
        continue;
      }
      for (const e of r.expectations) if (!e.held) problems.push(`${at}: expected ${e.that}, was ${e.value}${e.because ? ` (${e.because})` : ''}`);
      if (r.signatureSeen) problems.push(`${at}: the bug signature held: ${r.signature.map((e) => `${e.that} (was ${e.value})`).join(', ')}`);
    }
  }
  if (problems.length > 0) lines.push('', ...problems);
  const meaning: Record<number, string> = { 0: 'every expectation held', 1: 'an expectation failed', 2: 'the scenario or the environment is wrong' };
  lines.push('', s.interrupted ? `interrupted by ${s.interrupted}: torn down (exit ${s.exit_code})` : `exit ${s.exit_code}: ${meaning[s.exit_code] ?? ''}`);
  return `${lines.join('\n')}\n`;
}

/** The --json document: the issue's fields first, then per-run details (snake_case throughout). */
export function summaryJson(s: ScenarioSummary): Record<string, unknown> {
  return {
    scenario: s.scenario,
    file: s.file,
    seed: s.seed,
    exit_code: s.exit_code,
    interrupted: s.interrupted,
    where: s.where,
    duration_ms: s.duration_ms,
    variants: s.variants.map((v) => ({
      name: v.name,
      role: v.role,
      runs: v.runs,
      reproduced: v.reproduced,
      rate: v.rate,
      first_reproduction_ms: v.first_reproduction_ms,
      outcomes: v.outcomes,
      attempts: v.attempts,
      passed: v.passed,
      errors: v.errors,
      seed: v.seed,
      results: v.results.map((r) => ({
        run: r.run,
        run_id: r.runId,
        seed: r.seed,
        duration_ms: r.durationMs,
        reproduced: r.reproduced,
        passed: r.passed,
        signature_seen: r.signatureSeen,
        signature_seen_at_ms: r.signatureSeenAtMs,
        outcomes: r.outcomes,
        attempts: r.attempts,
        latency_ms: r.latency,
        load: r.load,
        signature: r.signature,
        expectations: r.expectations,
        error: r.error,
        marks: r.marks,
        reloads: r.reloads.map((x) => ({ service: x.service, strategy: x.strategy, pid: x.pid, old_pid: x.oldPid, new_pid: x.newPid, ms: x.ms, call_ms: x.callMs, at_ms: x.atMs })),
        plug_windows: r.plugWindows.map((w) => ({ host: w.host, dev: w.dev, match: w.match, from_ms: w.fromMs, to_ms: w.toMs })),
        warnings: r.warnings,
      })),
    })),
  };
}

/** One line on stderr for the events a person wants to follow when there is no live view; null for the rest. */
export function progressLine(e: ScenarioEvent): string | null {
  switch (e.type) {
    case 'leftovers-removed':
      return `removed the leftovers of run ${e.runId}${e.namespaces.length ? `: ${e.namespaces.join(', ')}` : ''}`;
    case 'run-end': {
      const r = e.result;
      const what = r.error ? `error: ${r.error}` : r.reproduced ? 'reproduced' : 'not reproduced';
      return `${r.variant} run ${r.run}: ${what}; ${r.attempts} attempts (${OUTCOMES.filter((o) => r.outcomes[o] > 0).map((o) => `${o} ${r.outcomes[o]}`).join(', ') || 'none'}), ${formatDuration(r.durationMs)}`;
    }
    case 'warning':
      return `warning: ${e.variant ? `${e.variant} run ${e.run}: ` : ''}${e.message}`;
    default:
      return null;
  }
}
