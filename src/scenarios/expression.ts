/**
 * Assertions over the load's counters and latencies, used by expect:,
 * signature: and `metric:` conditions:
 *
 *   reset > 0                  every generator's resets added up
 *   http.reset == 0            one generator's
 *   http.latency.p99 < 200ms   a latency statistic (needs a unit)
 */
import { parseDuration } from '../plug/units.js';

/** Every attempt ends as exactly one of these. */
export const OUTCOMES = ['ok', 'reset', 'refused', 'timeout', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const COUNTERS = ['attempts', ...OUTCOMES] as const;
export type Counter = (typeof COUNTERS)[number];
export const LATENCY_STATS = ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];
export const OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Expression {
  /** As written, for reports. */
  readonly text: string;
  /** The load generator, or null: all of them added up. */
  readonly load: string | null;
  /** A counter, or `latency` with a statistic. */
  readonly metric: Counter | 'latency';
  readonly stat: LatencyStat | null;
  readonly op: Operator;
  /** A count, or milliseconds for latency. */
  readonly value: number;
}

const SHAPE = /^\s*([A-Za-z0-9_.-]+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/;
const EXAMPLES = "e.g. 'reset > 0', 'http.timeout == 0' or 'http.latency.p99 < 200ms'";

/** The expression, or what is wrong with it (load names are checked later, against load:). */
export function parseExpression(text: string): Expression | string {
  const m = SHAPE.exec(text);
  if (!m) return `invalid expression '${text}': expected <metric> <op> <value> with op one of ${OPERATORS.join(' ')}, ${EXAMPLES}`;
  const [, metricText = '', op = '>', valueText = ''] = m;
  const parts = metricText.split('.');
  let load: string | null = null;
  if (parts.length > 1 && !(COUNTERS as readonly string[]).includes(parts[0]!) && parts[0] !== 'latency') load = parts.shift()!;
  const [metric = '', stat, ...rest] = parts;
  const counters = `${COUNTERS.join(', ')}, latency.<${LATENCY_STATS.join('|')}>`;
  if (rest.length > 0) return `invalid metric '${metricText}': expected [<load>.]<counter> or [<load>.]latency.<stat>; counters: ${counters}`;
  if (metric === 'latency') {
    if (stat === undefined || !(LATENCY_STATS as readonly string[]).includes(stat)) {
      return `invalid metric '${metricText}': latency needs a statistic: ${LATENCY_STATS.map((s) => `latency.${s}`).join(', ')}`;
    }
    if (!/^\d+(\.\d+)?(ms|s|m|h)$/.test(valueText)) return `invalid value '${valueText}' in '${text}': a latency needs a unit, e.g. 200ms or 1.5s`;
    return { text: text.trim(), load, metric: 'latency', stat: stat as LatencyStat, op: op as Operator, value: parseDuration(valueText) };
  }
  if (stat !== undefined || !(COUNTERS as readonly string[]).includes(metric)) {
    return `invalid metric '${metricText}': expected [<load>.]<counter>; counters: ${counters}`;
  }
  if (!/^\d+$/.test(valueText)) return `invalid value '${valueText}' in '${text}': a count is a whole number`;
  return { text: text.trim(), load, metric: metric as Counter, stat: null, op: op as Operator, value: Number(valueText) };
}

/** For specs: the parse error, or undefined. */
export function expressionProblem(text: string): string | undefined {
  const parsed = parseExpression(text);
  return typeof parsed === 'string' ? parsed : undefined;
}
