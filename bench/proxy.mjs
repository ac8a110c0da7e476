#!/usr/bin/env node
// `npm run bench:proxy`: the qplug TCP proxy against HAProxy on 127.0.0.1.
// Variants: direct (no proxy), qplug splice/copy, HAProxy splice/no splice.
// Metrics: bulk throughput (iperf3, 1 and 4 streams), proxy CPU-s per GB,
// short connections/s (tcpload conn), one-core round trips (tcpload rr, all
// pinned to CPU 0). Medians of --runs; ratios against HAProxy with targets.
// See BENCHMARKS.md for what each number means and the caveats.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSession, cpuSeconds, freePort, waitListening } from './lib/procs.mjs';
import { METRICS, VARIANT_LABELS, markdownReport, medians, ratios, rewriteBenchmarks, textReport } from './lib/report.mjs';
import { buildTcpload, ensureTools, machineFacts } from './lib/setup.mjs';
import { UsageError, intOption, selectVariants } from './lib/tables.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL_VARIANTS = Object.keys(VARIANT_LABELS);

const HELP = `usage: node bench/proxy.mjs [options]      (npm run bench:proxy -- [options])

Benchmarks the qplug TCP proxy against HAProxy on 127.0.0.1 (see BENCHMARKS.md).

  --runs N            runs per variant; medians are reported (default 3)
  --seconds S         length of each measurement (default 5)
  --only LIST         variants, comma-separated (default all):
                      ${ALL_VARIANTS.join(', ')}
  --threads N         qplug --threads and HAProxy nbthread (default 1)
  --concurrency N     short-connection clients (default 64)
  --buffer-size SIZE  passed to qplug --buffer-size (default: qplug's own)
  --quick             1 run of 2 s (smoke test); explicit --runs/--seconds win
  --json              machine-readable result on stdout (progress stays on stderr)
  --no-write          write nothing (no bench/results/*.json, no BENCHMARKS.md)
  --write             also rewrite BENCHMARKS.md after a partial (--only/--quick) run
  -h, --help          this text

Results go to bench/results/proxy-<date>.json; a complete run also rewrites the
results section of BENCHMARKS.md. Installs haproxy/iperf3 with apt-get when missing.
`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      seconds: { type: 'string' },
      only: { type: 'string' },
      threads: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '64' },
      'buffer-size': { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const int = intOption;
  const variants = selectVariants(values.only, ALL_VARIANTS);
  const seconds = Number(values.seconds ?? (values.quick ? 2 : 5));
  if (!(seconds >= 0.5 && seconds <= 600)) throw new UsageError(`--seconds must be 0.5..600, got '${values.seconds}'`);
  return {
    help: values.help,
    runs: int('runs', values.runs ?? (values.quick ? 1 : 3), 1, 50),
    seconds,
    threads: int('threads', values.threads, 1, 64),
    concurrency: int('concurrency', values.concurrency, 1, 4096),
    bufferSize: values['buffer-size'] ?? null,
    quick: values.quick,
    json: values.json,
    write: !values['no-write'],
    forceBenchmarksMd: values.write,
    variants,
  };
}


const log = (msg) => process.stderr.write(`bench:proxy: ${msg}\n`);

function haproxyConfig({ listenPort, backendPort, threads, splice, pipeSize }) {
  // HAProxy sizes its fd needs as 2 per connection plus a splice pipe (2 fds)
  // per 4 connections, and refuses to start above the hard fd limit (20000 here).
  const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()) || 4096;
  const maxconn = Math.max(256, Math.min(8000, Math.floor((hard - 200) / 3)));
  return `${[
    'global',
    `  nbthread ${threads}`,
    `  maxconn ${maxconn}`,
    ...(pipeSize ? [`  tune.pipesize ${pipeSize}`] : []),
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    // splice-auto alone made zero splice calls with HAProxy 2.6 here: force both ways.
    ...(splice ? ['  option splice-request', '  option splice-response'] : []),
    'frontend fe',
    `  bind 127.0.0.1:${listenPort}`,
    '  default_backend be',
    'backend be',
    `  server s1 127.0.0.1:${backendPort}`,
  ].join('\n')}\n`;
}

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench:proxy: ${e.message}\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { variants, seconds } = opts;
  const usesHaproxy = variants.some((v) => v.startsWith('haproxy'));
  const usesQplug = variants.some((v) => v.startsWith('qplug'));

  ensureTools([{ bin: 'iperf3', pkg: 'iperf3' }, { bin: 'gcc', pkg: 'gcc' }, ...(usesHaproxy ? [{ bin: 'haproxy', pkg: 'haproxy' }] : [])], log);
  // Not build/: cmake-js owns it and a native rebuild wipes it.
  const tcploadCached = buildTcpload(root, join(root, 'node_modules', '.cache', 'qplug-bench'), log);
  const qplugBin = join(root, 'bin', 'qplug.js');
  if (usesQplug) {
    const h = spawnSync(process.execPath, [qplugBin, 'proxy', '--help'], { encoding: 'utf8', timeout: 30_000 });
    if (h.status !== 0) {
      throw new Error(
        `the qplug proxy CLI is not available (\`node bin/qplug.js proxy --help\` exited ${h.status}): run \`npm run build\`, or bench without it: --only direct,haproxy-splice,haproxy-nosplice\n${(h.stderr ?? '').trim()}`,
      );
    }
  }

  const { group, tmp, tcpload, cleanup } = benchSession({ prefix: 'qplug-bench-proxy-', tcploadCached, log });

  const stepTimeout = (seconds + 30) * 1000;
  // Upper bound on the whole bench, so a forgotten server never outlives it.
  const serverLifetime = Math.ceil(opts.runs * variants.length * (4 * seconds + 60) + 600);

  /** Start the proxy for a variant in front of backendPort; null for direct. */
  async function startProxy(variant, backendPort, pin) {
    if (variant === 'direct') return null;
    const splice = /-splice(-|$)/.test(variant);
    if (variant.startsWith('haproxy')) {
      const port = await freePort();
      const cfg = join(tmp, `haproxy-${variant}-${port}.cfg`);
      writeFileSync(cfg, haproxyConfig({ listenPort: port, backendPort, threads: opts.threads, splice, pipeSize: variant.endsWith('-1m') ? 1048576 : 0 }));
      const t = group.start(`haproxy (${variant})`, 'haproxy', ['-db', '-f', cfg], { pin });
      await waitListening(port, t);
      return { port, proc: t, cpuPid: t.pid };
    }
    // Port 0: the proxy binds a free port and names it in its ready line (no race).
    const args = [qplugBin, 'proxy', '--listen', '127.0.0.1:0', '--backend', `127.0.0.1:${backendPort}`, '--threads', String(opts.threads), '--grace', '2s', '--json'];
    args.push(splice ? '--splice' : '--no-splice');
    if (opts.bufferSize) args.push('--buffer-size', opts.bufferSize);
    const t = group.start(`qplug proxy (${variant})`, process.execPath, args, { pin, env: { FORCE_COLOR: '0' } });
    const ready = JSON.parse(await t.waitForLine(/"event"\s*:\s*"ready"/, 30_000));
    const frontend = ready.frontends?.[0];
    if (!frontend?.port) throw new Error(`qplug proxy's ready line names no port: ${JSON.stringify(ready)}`);
    if (frontend.splice !== splice) throw new Error(`qplug proxy (${variant}) reports splice=${frontend.splice}`);
    await waitListening(frontend.port, t);
    // `qplug proxy` is a master; the engine (the CPU) runs in its worker process.
    return { port: frontend.port, proc: t, cpuPid: ready.workerPid ?? t.pid };
  }

  async function stopProxy(p) {
    if (!p) return;
    await group.stop(p.proc, 10_000);
    if (p.proc.child.exitCode && p.proc.child.exitCode !== 0) log(`${p.proc.name} exited ${p.proc.child.exitCode}: ${p.proc.tail()}`);
  }

  const parseJsonLine = (name, out) => {
    const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (!line) throw new Error(`${name} printed no JSON:\n${out}`);
    return JSON.parse(line);
  };

  async function bulk(variant, streams) {
    const iperfPort = await freePort();
    const server = group.start('iperf3 server', 'iperf3', ['-s', '-B', '127.0.0.1', '-p', String(iperfPort)]);
    let proxy = null;
    try {
      await waitListening(iperfPort, server);
      proxy = await startProxy(variant, iperfPort, false);
      const target = proxy?.port ?? iperfPort;
      const cpu0 = proxy ? cpuSeconds(proxy.cpuPid) : 0;
      const r = await group.run('iperf3 client', 'iperf3', ['-c', '127.0.0.1', '-p', String(target), '-t', String(seconds), '-P', String(streams), '-J'], { timeoutMs: stepTimeout });
      const cpu = proxy ? cpuSeconds(proxy.cpuPid) - cpu0 : null;
      const j = JSON.parse(r.stdout);
      if (j.error || r.code !== 0) throw new Error(`iperf3 -P ${streams} through ${variant} failed: ${j.error ?? r.stderr}`);
      const got = j.end.sum_received;
      const gb = got.bytes / 1e9;
      return { gbps: got.bits_per_second / 1e9, cpuPerGb: cpu === null ? null : cpu / gb };
    } finally {
      await stopProxy(proxy);
      await group.stop(server);
    }
  }

  async function shortConnections(variant, backendPort) {
    const proxy = await startProxy(variant, backendPort, false);
    try {
      const cpu0 = proxy ? cpuSeconds(proxy.cpuPid) : 0;
      const args = ['conn', '--port', String(proxy?.port ?? backendPort), '--concurrency', String(opts.concurrency), '--seconds', String(seconds)];
      const r = await group.run('tcpload conn', tcpload, args, { timeoutMs: stepTimeout });
      const cpu = proxy ? cpuSeconds(proxy.cpuPid) - cpu0 : null;
      if (r.code !== 0) throw new Error(`tcpload conn through ${variant} failed (${r.code}): ${r.stderr}${r.stdout}`);
      const j = parseJsonLine('tcpload conn', r.stdout);
      return { ...j, cpuPerConnUs: cpu === null || !j.all_connections ? null : (cpu * 1e6) / j.all_connections };
    } finally {
      await stopProxy(proxy);
    }
  }

  async function roundTrips(variant, backendPort) {
    const proxy = await startProxy(variant, backendPort, true);
    try {
      const r = await group.run('tcpload rr', tcpload, ['rr', '--port', String(proxy?.port ?? backendPort), '--seconds', String(seconds)], { pin: true, timeoutMs: stepTimeout });
      if (r.code !== 0) throw new Error(`tcpload rr through ${variant} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return parseJsonLine('tcpload rr', r.stdout);
    } finally {
      await stopProxy(proxy);
    }
  }

  async function echoServer(name, pin) {
    const t = group.start(name, tcpload, ['server', '--port', '0', '--max-seconds', String(serverLifetime)], { pin });
    const line = await t.waitForLine(/"event":"ready"/, 10_000);
    return { proc: t, port: JSON.parse(line).port };
  }

  const machine = machineFacts();
  const startedAt = new Date();
  const runs = [];
  try {
    const connBackend = await echoServer('echo server', false);
    const rrBackend = await echoServer('echo server (CPU 0)', true);
    for (let run = 0; run < opts.runs; run++) {
      // Rotate the order each run so no variant always goes first (warm caches, a quiet neighbour).
      const order = variants.map((_, i) => variants[(i + run) % variants.length]);
      const results = {};
      for (const variant of order) {
        const b1 = await bulk(variant, 1);
        const b4 = await bulk(variant, 4);
        const c = await shortConnections(variant, connBackend.port);
        const rr = await roundTrips(variant, rrBackend.port);
        results[variant] = {
          bulk1_gbps: b1.gbps,
          bulk4_gbps: b4.gbps,
          cpu1_s_per_gb: b1.cpuPerGb,
          cpu4_s_per_gb: b4.cpuPerGb,
          conn_per_s: c.conn_per_s,
          conn_p50_us: c.p50_us,
          conn_p99_us: c.p99_us,
          conn_cpu_us: c.cpuPerConnUs,
          conn_errors: c.errors,
          rr_per_s: rr.rt_per_s,
          rr_p50_us: rr.p50_us,
          rr_p99_us: rr.p99_us,
        };
        log(
          `run ${run + 1}/${opts.runs} ${variant}: ${b1.gbps.toFixed(2)} / ${b4.gbps.toFixed(2)} Gbit/s, ` +
            `${b1.cpuPerGb?.toFixed(3) ?? '—'} CPU-s/GB, ${Math.round(c.conn_per_s)} conn/s (${c.errors} errors), ${Math.round(rr.rt_per_s)} rt/s`,
        );
      }
      runs.push(results);
    }
  } finally {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    await cleanup();
  }

  const med = medians(runs, variants);
  const userArgs = process.argv.slice(2).join(' ');
  const command =
    process.env.npm_lifecycle_event === 'bench:proxy' ? `npm run bench:proxy${userArgs ? ` -- ${userArgs}` : ''}` : `node bench/proxy.mjs${userArgs ? ` ${userArgs}` : ''}`;
  const git = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8', timeout: 10_000 });
  const result = {
    bench: 'proxy',
    date: startedAt.toISOString(),
    command,
    revision: git.status === 0 ? git.stdout.trim() : 'unknown',
    options: { runs: opts.runs, seconds, threads: opts.threads, concurrency: opts.concurrency, bufferSize: opts.bufferSize, variants },
    machine,
    metrics: METRICS.map((m) => ({ key: m.key, label: m.label })),
    runs,
    medians: med,
    ratios: ratios(med),
  };

  let resultFile = null;
  if (opts.write) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    resultFile = join(dir, `proxy-${result.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
    writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${relative(root, resultFile)}`);
    const complete = variants.length === ALL_VARIANTS.length && !opts.quick;
    const md = join(root, 'BENCHMARKS.md');
    if ((complete || opts.forceBenchmarksMd) && existsSync(md)) {
      rewriteBenchmarks(md, markdownReport(result, relative(root, resultFile)));
      log('rewrote the results section of BENCHMARKS.md');
    } else if (!complete) {
      log('partial run (--only/--quick): BENCHMARKS.md left as is (--write to rewrite it anyway)');
    }
  }
  process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : textReport(result));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    log(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  },
);
