// What the proxy bench needs before it can measure: the tools (installed with
// apt-get when missing), our own load tool (built with gcc, cached by source
// hash), and the machine facts recorded with every result.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';

const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** tools: [{ bin, pkg }]. Installs the missing ones with apt-get (as root). */
export function ensureTools(tools, log) {
  const missing = tools.filter((t) => !onPath(t.bin));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const install = ['install', '-y', '--no-install-recommends', ...pkgs];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.map((t) => t.bin).join(', ')}: run \`sudo apt-get ${install.join(' ')}\``);
  }
  const apt = (args) =>
    spawnSync('apt-get', args, { encoding: 'utf8', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  log(`installing ${pkgs.join(' ')} (apt-get ${install.join(' ')})`);
  let r = apt(install);
  if (r.status !== 0 && /Unable to locate package|has no installation candidate|404\s+Not Found/i.test(r.stderr ?? '')) {
    // Stale or empty package lists (fresh containers): refresh once and retry.
    log('package lists are missing or stale: apt-get update');
    const u = apt(['update']);
    if (u.status !== 0) throw new Error(`apt-get update failed:\n${u.stderr}`);
    r = apt(install);
  }
  if (r.status !== 0) throw new Error(`apt-get ${install.join(' ')} failed:\n${r.stderr ?? r.error?.message}`);
  const still = missing.filter((t) => !onPath(t.bin));
  if (still.length) throw new Error(`still missing after install: ${still.map((t) => t.bin).join(', ')}`);
}

/** Build bench/tools/tcpload.c into cacheDir, once per source version. */
export function buildTcpload(root, cacheDir, log) {
  const src = join(root, 'bench', 'tools', 'tcpload.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const bin = join(cacheDir, `tcpload-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  log(`building ${bin}`);
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', tmp, src], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`gcc -O2 ${src} failed:\n${r.stderr ?? r.error?.message}`);
  renameSync(tmp, bin);
  return bin;
}

function firstLine(cmd, args) {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineFacts() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim() || cpuModel;
  } catch {
    // keep os.cpus()'s answer
  }
  return {
    kernel: release(),
    cpu: cpuModel,
    cores: cpus().length,
    haproxy: onPath('haproxy') ? firstLine('haproxy', ['-v']) : 'not installed',
    iperf3: onPath('iperf3') ? firstLine('iperf3', ['--version']) : 'not installed',
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
}
