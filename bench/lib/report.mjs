// The proxy bench's numbers: medians over runs, the acceptance ratios, and the
// same table as plain text (stdout) and Markdown (BENCHMARKS.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { markdownTable, plainTable } from './tables.mjs';

export const VARIANT_LABELS = {
  direct: 'direct',
  'qplug-splice': 'qplug splice',
  'qplug-copy': 'qplug copy',
  'haproxy-splice': 'HAProxy splice',
  'haproxy-splice-1m': 'HAProxy splice, 1 MiB pipes',
  'haproxy-nosplice': 'HAProxy no splice',
};

export const METRICS = [
  { key: 'bulk1_gbps', label: 'bulk, 1 stream (Gbit/s)', digits: 2 },
  { key: 'bulk4_gbps', label: 'bulk, 4 streams (Gbit/s)', digits: 2 },
  { key: 'cpu1_s_per_gb', label: 'proxy CPU-s/GB, 1 stream', digits: 3 },
  { key: 'cpu4_s_per_gb', label: 'proxy CPU-s/GB, 4 streams', digits: 3 },
  { key: 'conn_per_s', label: 'short connections/s', digits: 0 },
  { key: 'conn_p50_us', label: 'short conn p50 (µs)', digits: 0 },
  { key: 'conn_p99_us', label: 'short conn p99 (µs)', digits: 0 },
  { key: 'conn_cpu_us', label: 'proxy CPU µs/connection', digits: 1 },
  { key: 'conn_errors', label: 'short conn errors', digits: 0 },
  { key: 'rr_per_s', label: 'one-core round trips/s', digits: 0 },
  { key: 'rr_p50_us', label: 'one-core RTT p50 (µs)', digits: 1 },
  { key: 'rr_p99_us', label: 'one-core RTT p99 (µs)', digits: 1 },
];

const QPLUG = ['qplug-splice', 'qplug-copy'];
const HAPROXY = ['haproxy-splice', 'haproxy-nosplice'];

// target: { op, value } or null for rows shown for information only.
const RATIOS = [
  { label: 'splice throughput, 1 stream (qplug splice / HAProxy splice)', num: ['qplug-splice'], den: ['haproxy-splice'], key: 'bulk1_gbps', target: { op: '>=', value: 1.0 } },
  { label: 'splice throughput, 4 streams (qplug splice / HAProxy splice)', num: ['qplug-splice'], den: ['haproxy-splice'], key: 'bulk4_gbps', target: { op: '>=', value: 1.0 } },
  { label: 'splice CPU-s/GB, 1 stream (qplug splice / HAProxy splice)', num: ['qplug-splice'], den: ['haproxy-splice'], key: 'cpu1_s_per_gb', target: { op: '<=', value: 1.0 } },
  { label: 'splice CPU-s/GB, 4 streams (qplug splice / HAProxy splice)', num: ['qplug-splice'], den: ['haproxy-splice'], key: 'cpu4_s_per_gb', target: { op: '<=', value: 1.0 } },
  { label: 'splice throughput, 1 stream (qplug splice / HAProxy splice with tune.pipesize 1m, the same pipe size)', num: ['qplug-splice'], den: ['haproxy-splice-1m'], key: 'bulk1_gbps', target: null },
  { label: 'splice CPU-s/GB, 1 stream (qplug splice / HAProxy splice with tune.pipesize 1m, the same pipe size)', num: ['qplug-splice'], den: ['haproxy-splice-1m'], key: 'cpu1_s_per_gb', target: null },
  { label: 'copy throughput, 1 stream (qplug copy / HAProxy no splice)', num: ['qplug-copy'], den: ['haproxy-nosplice'], key: 'bulk1_gbps', target: { op: '>=', value: 1.0 } },
  { label: 'copy throughput, 4 streams (qplug copy / HAProxy no splice)', num: ['qplug-copy'], den: ['haproxy-nosplice'], key: 'bulk4_gbps', target: { op: '>=', value: 1.0 } },
  { label: 'copy CPU-s/GB, 1 stream (qplug copy / HAProxy no splice)', num: ['qplug-copy'], den: ['haproxy-nosplice'], key: 'cpu1_s_per_gb', target: null },
  { label: 'short connections/s (best qplug / best HAProxy)', num: QPLUG, den: HAPROXY, key: 'conn_per_s', target: { op: '>=', value: 0.8 } },
  { label: 'one-core round trips/s (best qplug / best HAProxy)', num: QPLUG, den: HAPROXY, key: 'rr_per_s', target: null },
];

/** The median of the finite numbers among values; null when there are none. */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** runs: [{ variant: { metric: number } }] -> { variant: { metric: median } } */
export function medians(runs, variants) {
  const out = {};
  for (const variant of variants) {
    out[variant] = {};
    for (const m of METRICS) out[variant][m.key] = median(runs.map((r) => r[variant]?.[m.key]));
  }
  return out;
}

export function ratios(med) {
  // Higher-is-better keys pick the best path by max, CPU by min.
  const lowerIsBetter = (key) => key.startsWith('cpu');
  const best = (variants, key) => {
    let pick = null;
    for (const v of variants) {
      const x = med[v]?.[key];
      if (x == null) continue;
      if (pick === null || (lowerIsBetter(key) ? x < pick.value : x > pick.value)) pick = { variant: v, value: x };
    }
    return pick;
  };
  return RATIOS.map((r) => {
    const n = best(r.num, r.key);
    const d = best(r.den, r.key);
    const ratio = n && d && d.value > 0 ? n.value / d.value : null;
    let verdict = 'n/a';
    if (ratio !== null) {
      if (!r.target) verdict = 'info';
      else verdict = (r.target.op === '>=' ? ratio >= r.target.value : ratio <= r.target.value) ? 'PASS' : 'GAP';
    }
    return {
      label: r.label,
      metric: r.key,
      numerator: n?.variant ?? null,
      denominator: d?.variant ?? null,
      ratio,
      target: r.target ? `${r.target.op} ${r.target.value.toFixed(1)}×` : '—',
      verdict,
    };
  });
}

function fmt(x, digits) {
  if (x == null) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace(/,/g, ' ');
}

function rows(result) {
  const { medians: med } = result;
  const { variants } = result.options;
  const head = ['metric (median)', ...variants.map((v) => VARIANT_LABELS[v])];
  const body = METRICS.filter((m) => variants.some((v) => med[v][m.key] != null)).map((m) => [m.label, ...variants.map((v) => fmt(med[v][m.key], m.digits))]);
  const ratioHead = ['ratio', 'value', 'target', 'verdict'];
  const ratioBody = result.ratios.map((r) => {
    const paths = r.numerator && r.denominator && r.label.includes('best') ? ` [${VARIANT_LABELS[r.numerator]} / ${VARIANT_LABELS[r.denominator]}]` : '';
    return [`${r.label}${paths}`, r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`, r.target, r.verdict];
  });
  return { head, body, ratioHead, ratioBody };
}

function describe(result) {
  const o = result.options;
  const m = result.machine;
  return {
    setup: `${o.runs} run(s) × ${o.seconds} s per measurement, medians; proxy threads ${o.threads}; ${o.concurrency} short-connection clients; 64-byte messages`,
    machine: `${m.cpu}, ${m.cores} cores, kernel ${m.kernel}; ${m.haproxy}; ${m.iperf3}; node ${m.node}; load average at start ${m.loadavgAtStart.join(' ')}`,
  };
}

export function textReport(result) {
  const { head, body, ratioHead, ratioBody } = rows(result);
  const d = describe(result);
  return [
    `proxy bench, ${result.date}`,
    `  ${d.setup}`,
    `  ${d.machine}`,
    `  command: ${result.command} (revision ${result.revision})`,
    '',
    plainTable(head, body),
    '',
    plainTable(ratioHead, ratioBody),
    '',
  ].join('\n');
}

export function markdownReport(result, resultFile) {
  const { head, body, ratioHead, ratioBody } = rows(result);
  const d = describe(result);
  return [
    `Last run: ${result.date}, \`${result.command}\` at revision ${result.revision} (${d.setup}).`,
    '',
    `Machine: ${d.machine}.`,
    '',
    markdownTable(head, body),
    '',
    markdownTable(ratioHead, ratioBody),
    '',
    resultFile ? `Every run's raw numbers: \`${resultFile}\`.` : '',
  ].join('\n');
}

export const MARK_START = '<!-- bench:proxy:start -->';
export const MARK_END = '<!-- bench:proxy:end -->';

/** Replace what sits between the markers (appending the section when they are missing). */
export function rewriteBenchmarks(file, section) {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  const block = `${MARK_START}\n${section.trim()}\n${MARK_END}`;
  const next = a >= 0 && b > a ? `${text.slice(0, a)}${block}${text.slice(b + MARK_END.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
