// The reload bench's numbers: per variant and run, what happened to every
// connection attempt while the proxy reloaded; as plain text and Markdown.
import { readFileSync, writeFileSync } from 'node:fs';
import { markdownTable, plainTable } from './tables.mjs';

export const RELOAD_VARIANTS = {
  restart: { label: 'restart', strategy: 'restart', migrate: false },
  reuseport: { label: 'reuseport', strategy: 'reuseport', migrate: false },
  handoff: { label: 'handoff', strategy: 'handoff', migrate: false },
  'reuseport-migrate': { label: 'reuseport + tcp_migrate_req=1', strategy: 'reuseport', migrate: true },
};

export const COUNTS = ['attempted', 'ok', 'reset', 'refused', 'timeout', 'other', 'skipped'];

const failures = (r) => r.reset + r.refused + r.timeout + r.other + r.skipped;

/** What each variant must show: in every run (the fixes, restart), or in some run (reuseport). */
export function verdicts(result) {
  const out = [];
  const runsOf = (v) => result.runs.map((run) => run[v]).filter(Boolean);
  const check = (variant, label, pass, every = true) => {
    const runs = runsOf(variant);
    if (runs.length === 0) return;
    out.push({ variant, label, verdict: (every ? runs.every(pass) : runs.some(pass)) ? 'PASS' : 'FAIL' });
  };
  const { minConnections, minReloads } = result.options.acceptance;
  // That the bug exists, not that it shows every time: with ~10 ms reloads its window is
  // short (scenarios/reload-race.yaml makes it happen every time).
  check('reuseport', 'resets in at least one run', (r) => r.reset > 0, false);
  check('handoff', `0 failures, >= ${minConnections} connections and >= ${minReloads} reloads in every run`, (r) => failures(r) === 0 && r.attempted >= minConnections && r.reloads >= minReloads);
  check('restart', 'refusals in every run', (r) => r.refused > 0);
  check('reuseport-migrate', '0 resets (0 failures) in every run', (r) => failures(r) === 0);
  return out;
}

function rows(result) {
  const head = ['variant', 'run', ...COUNTS, 'reloads', 'reload ms (median)', 'failed reloads'];
  const body = [];
  for (const v of result.options.variants) {
    result.runs.forEach((run, i) => {
      const r = run[v];
      if (!r) return;
      body.push([RELOAD_VARIANTS[v].label, String(i + 1), ...COUNTS.map((k) => String(r[k])), String(r.reloads), r.reloadMsMedian == null ? '—' : String(Math.round(r.reloadMsMedian)), String(r.reloadFailures)]);
    });
  }
  return { head, body };
}

function describe(result) {
  const o = result.options;
  const m = result.machine;
  return {
    setup:
      `${o.runs} run(s) per variant; ${o.reloads} reloads per run, ${o.gapMs} ms apart; open-loop load of ${o.rate} new connections/s ` +
      `(64-byte echo, held ${o.holdMs} ms, timeout ${o.timeoutMs} ms) through one frontend at maxconn ${o.maxconn} (backlog ${o.backlog}), so its accept queue is busy; ` +
      `old workers drain for up to ${o.graceMs} ms; ${result.netns ? `inside a private network namespace (${result.netns})` : 'in the host network namespace'}`,
    machine: `${m.cpu}, ${m.cores} cores, kernel ${m.kernel}; node ${m.node}; load average at start ${m.loadavgAtStart.join(' ')}`,
  };
}

export function textReport(result) {
  const { head, body } = rows(result);
  const d = describe(result);
  const v = verdicts(result).map((x) => `  ${x.verdict}  ${RELOAD_VARIANTS[x.variant].label}: ${x.label}`);
  return [`reload bench, ${result.date}`, `  ${d.setup}`, `  ${d.machine}`, `  command: ${result.command} (revision ${result.revision})`, '', plainTable(head, body), '', ...v, ''].join('\n');
}

export function markdownReport(result, resultFile) {
  const { head, body } = rows(result);
  const d = describe(result);
  const v = verdicts(result).map((x) => [RELOAD_VARIANTS[x.variant].label, x.label, x.verdict]);
  return [
    `Last run: ${result.date}, \`${result.command}\` at revision ${result.revision}.`,
    '',
    `Setup: ${d.setup}.`,
    '',
    `Machine: ${d.machine}.`,
    '',
    markdownTable(head, body),
    '',
    markdownTable(['variant', 'acceptance', 'verdict'], v),
    '',
    resultFile ? `Raw numbers: \`${resultFile}\`.` : '',
  ].join('\n');
}

export const MARK_START = '<!-- bench:reload:start -->';
export const MARK_END = '<!-- bench:reload:end -->';

/** Replace what sits between the markers (appending a section with them when missing). */
export function rewriteReloadSection(file, section, intro) {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  const block = `${MARK_START}\n${section.trim()}\n${MARK_END}`;
  const next = a >= 0 && b > a ? `${text.slice(0, a)}${block}${text.slice(b + MARK_END.length)}` : `${text.trimEnd()}\n\n${intro.trim()}\n\n${block}\n`;
  writeFileSync(file, next);
}
