/**
 * Smoke test of the proxy bench harness (bench/proxy.mjs): the quickest run,
 * direct path only, nothing written. Checks that the tools start, the load
 * tool builds and every metric comes back as a positive number; it asserts no
 * timing target (those live in BENCHMARKS.md, never in tests).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const hasTools = onPath('iperf3') && onPath('gcc') && onPath('taskset') && onPath('ss');

interface DirectMedians {
  bulk1_gbps: number;
  bulk4_gbps: number;
  conn_per_s: number;
  conn_p50_us: number;
  conn_p99_us: number;
  rr_per_s: number;
  rr_p50_us: number;
  rr_p99_us: number;
}

describe('bench:proxy harness', () => {
  it.skipIf(!hasTools)(
    'a quick direct-only run prints JSON with positive throughput, conn/s and round trips [skipped where iperf3, gcc, taskset or ss is not installed]',
    () => {
      const r = spawnSync(process.execPath, [join(root, 'bench', 'proxy.mjs'), '--quick', '--only', 'direct', '--no-write', '--json'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { options: { variants: string[] }; medians: { direct: DirectMedians }; machine: { cores: number } };
      expect(result.options.variants).toEqual(['direct']);
      const m = result.medians.direct;
      for (const key of ['bulk1_gbps', 'bulk4_gbps', 'conn_per_s', 'conn_p50_us', 'conn_p99_us', 'rr_per_s', 'rr_p50_us', 'rr_p99_us'] as const) {
        expect(m[key], key).toBeGreaterThan(0);
      }
      expect(result.machine.cores).toBeGreaterThan(0);
    },
    60_000,
  );
});
