#!/usr/bin/env node
// `npm test`: every tier, one after the other. unit, native and e2e run on
// this machine; the kernel tier runs inside the lab VM (real sch_plug), or on
// this machine when QPLUG_KERNEL_TIER=host and its kernel has sch_plug.
// Ends with one line "tests: N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const qplug = join(root, 'bin', 'qplug.js');
const only = process.argv.slice(2);

const tiers = [
  { name: 'unit', argv: [process.execPath, vitest, 'run', '--project', 'unit'] },
  { name: 'native', argv: [process.execPath, vitest, 'run', '--project', 'native'] },
  { name: 'e2e', argv: [process.execPath, vitest, 'run', '--project', 'e2e'] },
  {
    name: 'kernel',
    argv:
      process.env.QPLUG_KERNEL_TIER === 'host'
        ? [process.execPath, vitest, 'run', '--project', 'kernel', '--reporter', 'verbose']
        : [process.execPath, qplug, 'lab', 'run', '--timeout', '20m', '--', process.execPath, vitest, 'run', '--project', 'kernel', '--reporter', 'verbose'],
  },
].filter((t) => only.length === 0 || only.includes(t.name));

function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('error', (e) => resolve({ code: 127, out: `${out}\n${e.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, out }));
  });
}

function counts(out) {
  // vitest's summary: "Tests  3 failed | 40 passed | 2 skipped (45)"
  const line = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').reverse().find((l) => /^\s*Tests\s+\d/.test(l));
  const get = (word) => Number((line ?? '').match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  return { found: line !== undefined, passed: get('passed'), failed: get('failed'), skipped: get('skipped') + get('todo') };
}

const total = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
for (const tier of tiers) {
  process.stdout.write(`\n=== tier: ${tier.name} ===\n`);
  const started = Date.now();
  const result = await run(tier.argv);
  const c = counts(result.out);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`=== ${tier.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, exit ${result.code} (${seconds} s) ===\n`);
  if (result.code !== 0) problems.push(`${tier.name} exited ${result.code}`);
  if (!c.found) problems.push(`${tier.name} printed no test summary`);
  if (tier.name === 'kernel' && c.passed === 0) problems.push('the kernel tier passed no test');
}
if (problems.length) process.stdout.write(`\nproblems: ${problems.join('; ')}\n`);
process.stdout.write(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exitCode = problems.length || total.failed ? 1 : 0;
