/** Counters and latency histograms of a run, and expressions evaluated over them. */
import { COUNTERS, OUTCOMES, type Expression } from '../expression.js';
import { Histogram } from '../load/histogram.js';
import type { Attempt, Counters, ExpectationResult, Outcomes } from './events.js';

const zeroCounters = (): Counters => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;

export class Metrics {
  private readonly counters = new Map<string, Counters>();
  private readonly histograms = new Map<string, Histogram>();

  constructor(loads: readonly string[]) {
    for (const load of loads) {
      this.counters.set(load, zeroCounters());
      this.histograms.set(load, new Histogram());
    }
  }

  record(attempt: Attempt): void {
    const c = this.counters.get(attempt.load) ?? zeroCounters();
    c.attempts++;
    c[attempt.outcome]++;
    this.counters.set(attempt.load, c);
    const h = this.histograms.get(attempt.load) ?? new Histogram();
    // Every attempt's latency, whatever its outcome: a timeout counts as its timeout.
    h.record(attempt.latencyMs);
    this.histograms.set(attempt.load, h);
  }

  /** One generator's, or every generator's added up (load null). */
  countersOf(load: string | null): Counters {
    if (load !== null) return { ...(this.counters.get(load) ?? zeroCounters()) };
    const total = zeroCounters();
    for (const c of this.counters.values()) for (const k of COUNTERS) total[k] += c[k];
    return total;
  }

  histogramOf(load: string | null): Histogram {
    if (load !== null) return this.histograms.get(load) ?? new Histogram();
    const all = new Histogram();
    for (const h of this.histograms.values()) all.merge(h);
    return all;
  }

  outcomes(load: string | null = null): Outcomes {
    const c = this.countersOf(load);
    return Object.fromEntries(OUTCOMES.map((o) => [o, c[o]])) as Outcomes;
  }

  loads(): string[] {
    return [...this.counters.keys()];
  }

  snapshot(): Record<string, Counters> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }]));
  }

  value(e: Expression): number {
    if (e.metric === 'latency') return this.histogramOf(e.load).stat(e.stat ?? 'max');
    return this.countersOf(e.load)[e.metric];
  }

  holds(e: Expression): boolean {
    return compare(this.value(e), e.op, e.value);
  }

  evaluate(e: Expression, because: string | null = null): ExpectationResult {
    const value = this.value(e);
    return { that: e.text, because, held: compare(value, e.op, e.value), value: Math.round(value * 1000) / 1000 };
  }
}

export function compare(value: number, op: Expression['op'], expected: number): boolean {
  switch (op) {
    case '>': return value > expected;
    case '>=': return value >= expected;
    case '<': return value < expected;
    case '<=': return value <= expected;
    case '==': return value === expected;
    case '!=': return value !== expected;
  }
}
