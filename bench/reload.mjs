#!/usr/bin/env node
// `npm run bench:reload`: what each reload strategy of `qplug proxy` does to
// connections arriving while it reloads. An open-loop load (tcpload conn
// --rate) runs through one frontend held at maxconn, so its accept queue is
// busy; meanwhile the master reloads K times (SIGUSR2). Every attempt is
// classified: ok, reset, refused, timeout, other. Variants: restart,
// reuseport, handoff, and reuseport with net.ipv4.tcp_migrate_req=1.
//
// As root the bench re-runs itself inside a private network namespace it
// creates (ip netns add), where it may set tcp_migrate_req without touching the
// host; the namespace is deleted at the end, also on failure or Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSession, sleep } from './lib/procs.mjs';
import { median } from './lib/report.mjs';
import { RELOAD_VARIANTS, markdownReport, rewriteReloadSection, textReport, verdicts } from './lib/reloadReport.mjs';
import { buildTcpload, ensureTools, machineFacts } from './lib/setup.mjs';
import { intOption, selectVariants } from './lib/tables.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL_VARIANTS = Object.keys(RELOAD_VARIANTS);
const MIGRATE_SYSCTL = '/proc/sys/net/ipv4/tcp_migrate_req';

const HELP = `usage: node bench/reload.mjs [options]      (npm run bench:reload -- [options])

Reloads \`qplug proxy\` under a bounded open-loop load and counts what happens
to every connection attempt, per reload strategy (see BENCHMARKS.md).

  --runs N          runs per variant (default 3)
  --reloads K       reloads per run (default 20)
  --rate R          new connections per second (default 2000)
  --gap-ms MS       pause between reloads (default 400)
  --hold-ms MS      each client holds its connection this long after the echo (default 20)
  --maxconn N       the frontend's maxconn (default: rate x (hold + 1 ms) x 1.15: the proxy runs near its limit)
  --grace-ms MS     how long an old worker drains (default 3000)
  --only LIST       variants, comma-separated (default all): ${ALL_VARIANTS.join(', ')}
  --quick           1 run of 5 reloads (smoke test); explicit --runs/--reloads win
  --no-netns        run in the host namespace (no reuseport-migrate variant)
  --json            machine-readable result on stdout (progress on stderr)
  --no-write        write nothing (no bench/results/*.json, no BENCHMARKS.md)
  --write           also rewrite BENCHMARKS.md after a partial (--only/--quick) run
  -h, --help        this text
`;

const log = (msg) => process.stderr.write(`bench:reload: ${msg}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      reloads: { type: 'string' },
      rate: { type: 'string', default: '2000' },
      'gap-ms': { type: 'string', default: '400' },
      'hold-ms': { type: 'string', default: '20' },
      maxconn: { type: 'string' },
      'grace-ms': { type: 'string', default: '3000' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-netns': { type: 'boolean', default: false },
      'inside-netns': { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const int = intOption;
  const variants = selectVariants(values.only, ALL_VARIANTS);
  const rate = int('rate', values.rate, 1, 20000);
  const holdMs = int('hold-ms', values['hold-ms'], 0, 10000);
  return {
    help: values.help,
    runs: int('runs', values.runs ?? (values.quick ? 1 : 3), 1, 20),
    reloads: int('reloads', values.reloads ?? (values.quick ? 5 : 20), 1, 500),
    rate,
    gapMs: int('gap-ms', values['gap-ms'], 0, 60000),
    holdMs,
    // Near the limit: rate x (hold + ~1 ms of proxying) connections are open on average.
    maxconn: int('maxconn', values.maxconn ?? Math.max(4, Math.ceil((rate * (holdMs + 1)) / 1000 * 1.15)), 1, 100000),
    backlog: 4096,
    timeoutMs: 5000,
    graceMs: int('grace-ms', values['grace-ms'], 0, 600000),
    quick: values.quick,
    netns: !values['no-netns'],
    insideNetns: values['inside-netns'] ?? null,
    json: values.json,
    write: !values['no-write'],
    forceBenchmarksMd: values.write,
    variants,
  };
}

/** As root with iproute2: run the bench again inside a namespace we create, delete it after. */
async function runInNetns(argv) {
  const name = `qplug-reload-${process.pid}`;
  const ip = (args) => spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  const added = ip(['netns', 'add', name]);
  if (added.status !== 0) throw new Error(`ip netns add ${name} failed: ${added.stderr}`);
  let child;
  const onSignal = (sig) => {
    if (child?.pid) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // gone
      }
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const up = ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    if (up.status !== 0) throw new Error(`bringing lo up in ${name} failed: ${up.stderr}`);
    log(`running inside the network namespace ${name}`);
    child = spawn('ip', ['netns', 'exec', name, process.execPath, fileURLToPath(import.meta.url), ...argv, '--inside-netns', name], { stdio: 'inherit', env: process.env });
    return await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const del = ip(['netns', 'del', name]);
    if (del.status !== 0) log(`ip netns del ${name} failed: ${del.stderr}`);
  }
}

function proxyConfig({ strategy, maxconn, backlog, graceMs, backendPort }) {
  return [
    'global:',
    `  grace: ${graceMs}ms`,
    `  reload_strategy: ${strategy}`,
    'frontends:',
    '  web:',
    '    bind: 127.0.0.1:0',
    '    backend: app',
    `    maxconn: ${maxconn}`,
    `    backlog: ${backlog}`,
    'backends:',
    '  app:',
    '    servers:',
    `      - { name: s1, address: 127.0.0.1:${backendPort} }`,
    '',
  ].join('\n');
}


async function main() {
  const argv = process.argv.slice(2);
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`bench:reload: ${e.message}\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const canNetns = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip'], { stdio: 'ignore' }).status === 0;
  if (!opts.insideNetns && opts.netns && canNetns) return runInNetns(argv);
  const inNetns = opts.insideNetns !== null;
  let variants = opts.variants;
  if (!inNetns && variants.includes('reuseport-migrate')) {
    log(`skipping reuseport-migrate: it needs a private network namespace (${canNetns ? '--no-netns given' : 'run as root with iproute2'})`);
    variants = variants.filter((v) => v !== 'reuseport-migrate');
  }
  if (variants.includes('reuseport-migrate') && !existsSync(MIGRATE_SYSCTL)) {
    log('skipping reuseport-migrate: this kernel has no net.ipv4.tcp_migrate_req (Linux >= 5.14)');
    variants = variants.filter((v) => v !== 'reuseport-migrate');
  }

  ensureTools([{ bin: 'gcc', pkg: 'gcc' }], log);
  const tcploadCached = buildTcpload(root, join(root, 'node_modules', '.cache', 'qplug-bench'), log);
  const qplugBin = join(root, 'bin', 'qplug.js');
  const h = spawnSync(process.execPath, [qplugBin, 'proxy', 'reload', '--help'], { encoding: 'utf8', timeout: 30_000 });
  if (h.status !== 0) throw new Error(`\`qplug proxy reload --help\` exited ${h.status}: run \`npm run build\`\n${(h.stderr ?? '').trim()}`);

  const { group, tmp, tcpload, cleanup } = benchSession({
    prefix: 'qplug-bench-reload-',
    tcploadCached,
    log,
    onCleanup: () => {
      if (inNetns && existsSync(MIGRATE_SYSCTL)) writeFileSync(MIGRATE_SYSCTL, '0');
    },
  });

  const reloadTimeoutMs = 30_000;
  const perRunMs = opts.reloads * (opts.gapMs + reloadTimeoutMs) + 60_000;
  const serverLifetime = Math.ceil((opts.runs * variants.length * perRunMs) / 1000 + 600);

  async function oneRun(variant, backendPort) {
    const { strategy, migrate } = RELOAD_VARIANTS[variant];
    if (inNetns && existsSync(MIGRATE_SYSCTL)) writeFileSync(MIGRATE_SYSCTL, migrate ? '1' : '0');
    const cfg = join(tmp, `proxy-${variant}.yaml`);
    writeFileSync(cfg, proxyConfig({ strategy, maxconn: opts.maxconn, backlog: opts.backlog, graceMs: opts.graceMs, backendPort }));
    const proxy = group.start(`qplug proxy (${variant})`, process.execPath, [qplugBin, 'proxy', '-c', cfg, '--json'], { env: { FORCE_COLOR: '0' } });
    // Every reload outcome, in order (the tracked output keeps only its tail).
    const outcomes = [];
    let partial = '';
    proxy.child.stdout.on('data', (d) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const l of lines) if (/"event":"(reloaded|reload-failed)"/.test(l)) outcomes.push(JSON.parse(l));
    });
    let load;
    try {
      const ready = JSON.parse(await proxy.waitForLine(/"event"\s*:\s*"ready"/, 30_000));
      const port = ready.frontends?.[0]?.port;
      if (!port) throw new Error(`the ready line names no port: ${JSON.stringify(ready)}`);
      // Bounded: at most perRunMs, and SIGUSR1 ends it after the last reload.
      load = group.start('tcpload conn --rate', tcpload, [
        'conn', '--rate', String(opts.rate), '--port', String(port), '--seconds', String(Math.ceil(perRunMs / 1000)),
        '--hold-ms', String(opts.holdMs), '--timeout-ms', String(opts.timeoutMs),
      ]);
      await sleep(1000);
      for (let k = 0; k < opts.reloads; k++) {
        if (load.done) throw new Error(`tcpload stopped early: ${load.tail()}`);
        const before = outcomes.length;
        process.kill(proxy.pid, 'SIGUSR2');
        const deadline = Date.now() + reloadTimeoutMs;
        while (outcomes.length === before && Date.now() < deadline && !proxy.done) await sleep(5);
        if (outcomes.length === before) throw new Error(`reload ${k + 1} did not finish within ${reloadTimeoutMs} ms:\n${proxy.tail()}`);
        await sleep(opts.gapMs);
      }
      await sleep(1000);
      process.kill(load.pid, 'SIGUSR1');
      const exited = await Promise.race([load.exited, sleep(opts.timeoutMs + 15_000).then(() => null)]);
      if (!exited) throw new Error('tcpload did not finish after SIGUSR1');
      const line = load.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (!line) throw new Error(`tcpload printed no result: ${load.tail()}`);
      const r = JSON.parse(line);
      const ok = outcomes.filter((o) => o.event === 'reloaded');
      return {
        attempted: r.attempted,
        ok: r.ok,
        reset: r.reset,
        refused: r.refused,
        timeout: r.timeout,
        other: r.other,
        skipped: r.skipped,
        p50_us: r.p50_us,
        p99_us: r.p99_us,
        reloads: ok.length,
        reloadFailures: outcomes.length - ok.length,
        reloadMsMedian: median(ok.map((o) => o.ms)),
        failedReloadMessages: outcomes.filter((o) => o.event !== 'reloaded').map((o) => o.message).slice(0, 5),
      };
    } finally {
      if (load) await group.stop(load, 2000);
      await group.stop(proxy, opts.graceMs + 10_000);
    }
  }

  const machine = machineFacts();
  const startedAt = new Date();
  const runs = [];
  try {
    const echo = group.start('echo server', tcpload, ['server', '--port', '0', '--max-seconds', String(serverLifetime)]);
    const echoPort = JSON.parse(await echo.waitForLine(/"event":"ready"/, 10_000)).port;
    for (let run = 0; run < opts.runs; run++) {
      const results = {};
      for (const variant of variants.map((_, i) => variants[(i + run) % variants.length])) {
        const r = await oneRun(variant, echoPort);
        results[variant] = r;
        log(
          `run ${run + 1}/${opts.runs} ${variant}: ${r.attempted} attempted, ${r.ok} ok, ${r.reset} reset, ${r.refused} refused, ` +
            `${r.timeout} timeout, ${r.other} other, ${r.skipped} skipped; ${r.reloads} reloads (median ${r.reloadMsMedian ?? '—'} ms), ${r.reloadFailures} failed`,
        );
      }
      runs.push(results);
    }
  } finally {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    await cleanup();
  }

  const userArgs = argv.filter((a, i) => a !== '--inside-netns' && argv[i - 1] !== '--inside-netns').join(' ');
  const command = process.env.npm_lifecycle_event === 'bench:reload' ? `npm run bench:reload${userArgs ? ` -- ${userArgs}` : ''}` : `node bench/reload.mjs${userArgs ? ` ${userArgs}` : ''}`;
  const git = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8', timeout: 10_000 });
  const result = {
    bench: 'reload',
    date: startedAt.toISOString(),
    command,
    revision: git.status === 0 ? git.stdout.trim() : 'unknown',
    netns: opts.insideNetns,
    options: {
      runs: opts.runs,
      reloads: opts.reloads,
      rate: opts.rate,
      gapMs: opts.gapMs,
      holdMs: opts.holdMs,
      maxconn: opts.maxconn,
      backlog: opts.backlog,
      timeoutMs: opts.timeoutMs,
      graceMs: opts.graceMs,
      variants,
      acceptance: { minConnections: 20_000, minReloads: 20 },
    },
    machine,
    runs,
  };
  result.verdicts = verdicts(result);

  if (opts.write) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `reload-${result.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${relative(root, file)}`);
    const complete = variants.length === ALL_VARIANTS.length && !opts.quick;
    const md = join(root, 'BENCHMARKS.md');
    if ((complete || opts.forceBenchmarksMd) && existsSync(md)) {
      rewriteReloadSection(md, markdownReport(result, relative(root, file)), reloadIntro());
      log('rewrote the reload section of BENCHMARKS.md');
    } else if (!complete) {
      log('partial run (--only/--quick, or a variant skipped): BENCHMARKS.md left as is (--write to rewrite it anyway)');
    }
  }
  process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : textReport(result));
  return 0;
}

/** The heading written once, above the markers, when BENCHMARKS.md has no reload section yet. */
function reloadIntro() {
  return '## Reloads (`npm run bench:reload`)\n\nWhat each reload strategy of `qplug proxy` does to connections that arrive while it reloads; see docs/proxy.md, "Reloads".';
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
