/**
 * Does this kernel have sch_plug? Asked for real: a child process in a private
 * network namespace (unshare -rn) adds a plug qdisc to its own loopback. The
 * namespace dies with the child, so nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SchPlugProbe {
  /** true/false, or null when the probe itself could not run. */
  available: boolean | null;
  detail: string;
}

const PROBE_TIMEOUT_MS = 15_000;

export function probeSchPlug(): Promise<SchPlugProbe> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    const child = spawn('unshare', ['--net', '--map-root-user', process.execPath, self, '--probe'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ available: null, detail: `could not start unshare (${e.message}): install util-linux` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as SchPlugProbe);
      } catch {
        resolve({ available: null, detail: `the probe in a private namespace failed (exit ${code}): ${err.trim().split('\n')[0] ?? ''}` });
      }
    });
  });
}

async function probeMain(): Promise<void> {
  const { loadNative } = await import('../native/loadNative.js');
  const addon = loadNative();
  const socket = new addon.RouteSocket();
  try {
    const lo = await socket.getLink('lo');
    await socket.addPlug(lo.ifindex, 0xffffffff, 0, 0);
    await socket.deleteQdisc(lo.ifindex, 0xffffffff, 0).catch(() => undefined);
    process.stdout.write(JSON.stringify({ available: true, detail: 'a plug qdisc was added and removed in a private namespace' }));
  } catch (error) {
    const e = error as { code?: string; message?: string; kernelMessage?: string };
    const missing = e.code === 'ENOENT';
    process.stdout.write(
      JSON.stringify({
        available: missing ? false : null,
        detail: missing ? `the kernel does not know the plug qdisc (${e.kernelMessage ?? e.message ?? 'ENOENT'}): CONFIG_NET_SCH_PLUG is not set or the module cannot be loaded` : `probe failed: ${e.message ?? String(error)}`,
      }),
    );
  } finally {
    socket.close();
  }
}

if (process.argv[2] === '--probe' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await probeMain();
}
