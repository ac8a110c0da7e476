#!/usr/bin/env node
// `npm run bench:first-reproduction`: how long the shipped reload-race takes to
// show its bug, in the kernel lab (sch_plug, emulated CPU) and on this machine.
// This kernel cannot plug, so the host side runs the same scenario with its
// two plug steps replaced by marks at the same times: the burst then queues in
// the old listener on its own (maxconn 8), and everything else — namespaces,
// the echo server, the proxy, the load, the reload — is the same. What the host
// side lacks is only the two plug calls (sub-millisecond netlink round trips).
//
// Prints, per side, the median over --runs of the time from the start of a run
// (namespaces included) to its first reset, and the lab/host ratio; --json for
// the figures. Needs root and `npm run build`; the lab side needs the lab image.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { median } from './lib/report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'qplug.js');
const HELP = `usage: node bench/first-reproduction.mjs [--runs N] [--json]

Time to first reproduction of scenarios/reload-race.yaml (variant reuseport):
in the kernel lab, and on this machine with the plug steps as marks.

  --runs N   runs per side (default 5; medians of at least 3 are reported)
  --json     the figures as JSON on stdout
`;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 3 || runs > 50) {
  process.stderr.write('first-reproduction: --runs must be a whole number from 3 to 50\n');
  process.exit(2);
}

/** One qplug scenario invocation, --json; the reuseport variant's runs. */
function scenario(file, label) {
  process.stderr.write(`first-reproduction: ${label}, ${runs} runs...\n`);
  const r = spawnSync(process.execPath, [bin, 'scenario', file, '--variant', 'reuseport', '--repeat', String(runs), '--json'], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${label}: qplug scenario exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
  const summary = JSON.parse(r.stdout);
  const results = summary.variants[0].results;
  const seen = results.map((x) => x.signature_seen_at_ms);
  if (seen.some((x) => x === null)) throw new Error(`${label}: ${seen.filter((x) => x === null).length} of ${runs} runs did not reproduce`);
  return { where: summary.where, runs: seen.length, ms: seen, median_ms: median(seen), reload_ms: median(results.flatMap((x) => x.reloads.map((y) => y.ms))) };
}

const source = join(root, 'scenarios', 'reload-race.yaml');
// The same scenario with each plug and release step as a mark at the same time, and only its bug variant.
const doc = parseDocument(readFileSync(source, 'utf8'));
const steps = doc.toJS().timeline ?? [];
const asMarks = steps.map((s) => (s.type === 'plug' || s.type === 'release' ? { ...(s.at === undefined ? {} : { at: s.at }), type: 'mark', name: `${s.type}-here` } : s));
if (!asMarks.some((s, i) => s !== steps[i])) throw new Error(`${source}: no plug or release step in its timeline`);
doc.set('timeline', asMarks);
doc.set('variants', { reuseport: { role: 'bug' } });
const dir = mkdtempSync(join(tmpdir(), 'qplug-bench-first-'));
try {
  const hostFile = join(dir, 'reload-race.yaml');
  writeFileSync(hostFile, doc.toString());
  const lab = scenario(source, 'in the lab (real plug)');
  const host = scenario(hostFile, 'on this machine (plug steps as marks)');
  const result = { scenario: 'reload-race', variant: 'reuseport', lab, host, ratio: Math.round((lab.median_ms / host.median_ms) * 10) / 10 };
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(`time to first reproduction, reload-race/reuseport, median of ${runs} (run start to first reset):\n`);
    process.stdout.write(`  lab (emulated CPU, real sch_plug):    ${s(lab.median_ms)}  (${lab.ms.map(s).join(', ')}; reload ${lab.reload_ms} ms)\n`);
    process.stdout.write(`  this machine (plug steps as marks):   ${s(host.median_ms)}  (${host.ms.map(s).join(', ')}; reload ${host.reload_ms} ms)\n`);
    process.stdout.write(`  lab / this machine: ${result.ratio}x\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
