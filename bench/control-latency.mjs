#!/usr/bin/env node
// Control latency of a freeze/release toggle, three ways, in the same run:
//   in-process:   RouteSocket.changePlugSync buffer + release_indefinite (one netlink round trip each)
//   library:      PlugQdisc.buffer() + releaseIndefinite() (async, with state records)
//   tc:           spawning `tc qdisc change ... plug block` + `... release_indefinite`
//   qplug CLI:    spawning `qplug plug` + `qplug release`
// Needs root and sch_plug: run it in the lab with `npm run bench:control`.
// Works in a private namespace it creates and always deletes.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { loadNative } = await import(join(root, 'dist', 'native', 'loadNative.js'));
const { PlugQdisc } = await import(join(root, 'dist', 'index.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N_INPROCESS = arg('toggles', 2000);
const N_LIBRARY = arg('library-toggles', 500);
const N_TC = arg('tc-toggles', 40);
const N_CLI = arg('cli-toggles', 6);
const json = process.argv.includes('--json');

const ns = `qbench-${process.pid}`;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summarize(name, samplesNs) {
  const us = samplesNs.map((x) => Number(x) / 1000).sort((a, b) => a - b);
  return { name, n: us.length, p50_us: percentile(us, 50), p99_us: percentile(us, 99) };
}
function timeSync(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return process.hrtime.bigint() - t0;
}
async function timeAsync(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return process.hrtime.bigint() - t0;
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

execFileSync('ip', ['netns', 'add', ns]);
const results = [];
let plug;
try {
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  plug = await PlugQdisc.attach({ dev: 'lo', netns: ns });
  const socket = new (loadNative().RouteSocket)({ netns: `/run/netns/${ns}` });
  const { ifindex, parent, handle } = plug;

  // Warm up, then measure each way.
  for (let i = 0; i < 50; i++) {
    socket.changePlugSync(ifindex, parent, handle, 'buffer', 0);
    socket.changePlugSync(ifindex, parent, handle, 'release_indefinite', 0);
  }
  const inproc = [];
  for (let i = 0; i < N_INPROCESS; i++) {
    inproc.push(timeSync(() => {
      socket.changePlugSync(ifindex, parent, handle, 'buffer', 0);
      socket.changePlugSync(ifindex, parent, handle, 'release_indefinite', 0);
    }));
  }
  results.push(summarize('in-process (changePlugSync)', inproc));

  const lib = [];
  for (let i = 0; i < N_LIBRARY; i++) {
    lib.push(await timeAsync(async () => {
      await plug.buffer({ maxHold: null });
      await plug.releaseIndefinite();
    }));
  }
  results.push(summarize('library (PlugQdisc, async)', lib));

  const h = `${(handle >>> 16).toString(16)}:`;
  const tc = [];
  for (let i = 0; i < N_TC; i++) {
    tc.push(timeSync(() => {
      run('tc', ['-n', ns, 'qdisc', 'change', 'dev', 'lo', 'root', 'handle', h, 'plug', 'block']);
      run('tc', ['-n', ns, 'qdisc', 'change', 'dev', 'lo', 'root', 'handle', h, 'plug', 'release_indefinite']);
    }));
  }
  results.push(summarize('spawn tc (2 processes)', tc));

  const qplug = join(root, 'bin', 'qplug.js');
  const cli = [];
  for (let i = 0; i < N_CLI; i++) {
    cli.push(timeSync(() => {
      run(process.execPath, [qplug, 'plug', 'lo', '--netns', ns, '--max-hold', 'none']);
      run(process.execPath, [qplug, 'release', 'lo', '--netns', ns]);
    }));
  }
  results.push(summarize('spawn qplug plug/release', cli));
  socket.close();
} finally {
  if (plug) await plug.detach().catch(() => undefined);
  execFileSync('ip', ['netns', 'del', ns]);
}

const base = results[0];
for (const r of results) {
  r.p50_ratio = r.p50_us / base.p50_us;
  r.p99_ratio = r.p99_us / base.p99_us;
}
const cpu = (() => {
  try {
    return execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const emulated = /QEMU|TCG/i.test(cpu) || process.env.QPLUG_LAB === '1';
if (json) {
  process.stdout.write(`${JSON.stringify({ cpu, emulated, results }, null, 2)}\n`);
} else {
  const pad = (s, n) => String(s).padEnd(n);
  const num = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} ms` : `${x.toFixed(1)} µs`);
  process.stdout.write(`freeze+release toggle latency (${cpu}${emulated ? ', emulated CPU: absolute figures are slow, ratios hold' : ''})\n`);
  process.stdout.write(`${pad('way', 30)}${pad('n', 7)}${pad('p50', 12)}${pad('p99', 12)}${pad('p50 ×', 10)}p99 ×\n`);
  for (const r of results) {
    process.stdout.write(`${pad(r.name, 30)}${pad(r.n, 7)}${pad(num(r.p50_us), 12)}${pad(num(r.p99_us), 12)}${pad(r.p50_ratio.toFixed(1), 10)}${r.p99_ratio.toFixed(1)}\n`);
  }
  const tcRow = results[2];
  process.stdout.write(`in-process is ${tcRow.p50_ratio.toFixed(0)}× faster than spawning tc at p50 (${tcRow.p99_ratio.toFixed(0)}× at p99)\n`);
}
