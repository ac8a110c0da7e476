/** Counters and latency histograms of a run, services' counters, and expressions evaluated over them. */
import { COUNTERS, OUTCOMES, type Comparison, type Counter, type Expression } from '../expression.js';
import { Histogram } from '../load/histogram.js';
import type { Attempt, Counters, ExpectationResult, Outcomes } from './events.js';

export const zeroCounters = (): Counters => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;

/** Counters added up. */
export function sumCounters(all: Iterable<Counters>): Counters {
  const total = zeroCounters();
  for (const c of all) for (const k of COUNTERS) total[k] += c[k];
  return total;
}

export class Metrics {
  private readonly counters = new Map<string, Counters>();
  private readonly histograms = new Map<string, Histogram>();
  /** What each service last reported (services/server.ts), by service. */
  private readonly services = new Map<string, Record<string, number>>();

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
    return sumCounters(this.counters.values());
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

  /** A service's counters, as it last reported them (the whole set: it replaces the last). */
  recordService(service: string, counters: Readonly<Record<string, number>>): void {
    this.services.set(service, { ...counters });
  }

  /** Every service that reported counters, with its latest. */
  serviceSnapshot(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.services].map(([k, v]) => [k, { ...v }]));
  }

  loads(): string[] {
    return [...this.counters.keys()];
  }

  snapshot(): Record<string, Counters> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }]));
  }

  /** One comparison's measured value; a service counter not reported yet is 0. */
  private termValue(c: Comparison): number {
    if (c.service !== null) return this.services.get(c.service)?.[c.metric] ?? 0;
    if (c.metric === 'latency') return this.histogramOf(c.load).stat(c.stat ?? 'max');
    return this.countersOf(c.load)[c.metric as Counter];
  }

  /** The first comparison that holds, else the first one. */
  private deciding(e: Expression): Comparison {
    return e.anyOf.find((c) => compare(this.termValue(c), c.op, c.value)) ?? e.anyOf[0] ?? e;
  }

  /** The value of the comparison that decides the expression (see deciding). */
  value(e: Expression): number {
    return this.termValue(this.deciding(e));
  }

  holds(e: Expression): boolean {
    const c = this.deciding(e);
    return compare(this.termValue(c), c.op, c.value);
  }

  evaluate(e: Expression, because: string | null = null): ExpectationResult {
    const c = this.deciding(e);
    const value = this.termValue(c);
    return { that: e.text, because, held: compare(value, c.op, c.value), value: Math.round(value * 1000) / 1000 };
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
