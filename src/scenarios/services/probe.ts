/**
 * Readiness probe run inside a host's namespace: `node probe.js SPEC`. Tries a
 * TCP connect or an HTTP GET every interval until it works (exit 0) or the
 * timeout passes (exit 1). One process per check: the runner itself cannot
 * enter a namespace.
 */
import { get } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export type ProbeSpec =
  | { kind: 'tcp'; address: string; port: number; timeoutMs: number; intervalMs: number }
  | { kind: 'http'; url: string; timeoutMs: number; intervalMs: number };

function tryTcp(address: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => { socket.destroy(); resolve(false); }, ms);
    socket.on('connect', () => { clearTimeout(timer); socket.destroy(); resolve(true); });
    socket.on('error', () => { clearTimeout(timer); resolve(false); });
  });
}

function tryHttp(url: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
    });
    req.setTimeout(ms, () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function main(spec: ProbeSpec): Promise<void> {
  const deadline = Date.now() + spec.timeoutMs;
  const each = Math.max(100, Math.min(1000, spec.timeoutMs));
  while (Date.now() < deadline) {
    const ok = spec.kind === 'tcp' ? await tryTcp(spec.address, spec.port, each) : await tryHttp(spec.url, each);
    if (ok) process.exit(0);
    await new Promise((r) => setTimeout(r, spec.intervalMs));
  }
  process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(JSON.parse(process.argv[2] ?? '{}') as ProbeSpec);
