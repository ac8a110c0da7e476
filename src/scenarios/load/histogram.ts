/**
 * A latency histogram with ~1% relative precision: log-spaced buckets
 * (sparse), exact min, max and mean. Percentiles are the upper edge of their
 * bucket, clamped to the exact max.
 */
import type { LatencyStat } from '../expression.js';

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Below this (ms) everything shares bucket 0. */
const FLOOR_MS = 0.001;

export class Histogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  private sum = 0;
  private minMs = Infinity;
  private maxMs = 0;

  record(ms: number): void {
    const v = Math.max(0, ms);
    const index = v <= FLOOR_MS ? 0 : Math.ceil(Math.log(v / FLOOR_MS) / LOG_GROWTH);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
  }

  merge(other: Histogram): void {
    for (const [i, n] of other.buckets) this.buckets.set(i, (this.buckets.get(i) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** q in 0..1; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index) ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, index === 0 ? FLOOR_MS : FLOOR_MS * GROWTH ** index));
    }
    return this.maxMs;
  }

  stat(stat: LatencyStat): number {
    if (this.count === 0) return 0;
    switch (stat) {
      case 'min': return this.minMs;
      case 'max': return this.maxMs;
      case 'mean': return this.sum / this.count;
      case 'p50': return this.quantile(0.5);
      case 'p90': return this.quantile(0.9);
      case 'p99': return this.quantile(0.99);
      case 'p999': return this.quantile(0.999);
    }
  }

  summary(): Record<LatencyStat, number> {
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      min: round(this.stat('min')),
      mean: round(this.stat('mean')),
      p50: round(this.stat('p50')),
      p90: round(this.stat('p90')),
      p99: round(this.stat('p99')),
      p999: round(this.stat('p999')),
      max: round(this.stat('max')),
    };
  }
}
