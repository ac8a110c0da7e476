#!/usr/bin/env node
// `npm run bench`: every benchmark, each where it can run (the lab for sch_plug,
// this host for the proxy).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benches = [
  { name: 'control latency', argv: [join(root, 'bin', 'qplug.js'), 'lab', 'run', '--', process.execPath, join(root, 'bench', 'control-latency.mjs')] },
  // On this host, not in the lab: the proxy needs no sch_plug, and an emulated CPU would say nothing about throughput.
  { name: 'proxy', argv: [join(root, 'bench', 'proxy.mjs')] },
  // reload-race in the lab and, with its plug steps as marks, on this host.
  { name: 'first reproduction', argv: [join(root, 'bench', 'first-reproduction.mjs'), '--runs', '3'] },
];
let failed = 0;
for (const b of benches) {
  process.stdout.write(`\n=== bench: ${b.name} ===\n`);
  const r = spawnSync(process.execPath, b.argv, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
