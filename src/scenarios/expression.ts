/**
 * Assertions over the load's counters and latencies and the services'
 * counters, used by expect:, signature: and `metric:` conditions:
 *
 *   reset > 0                          every generator's resets added up
 *   http.reset == 0                    one generator's
 *   http.latency.p99 < 200ms           a latency statistic (needs a unit)
 *   web.duplicates == 0                a counter a service reports
 *   conns.refused > 0 || conns.reset > 0   either holds
 */
import { parseDuration } from '../plug/units.js';
import { didYouMean } from '../text/didYouMean.js';

/** Every attempt ends as exactly one of these. */
export const OUTCOMES = ['ok', 'reset', 'refused', 'timeout', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const COUNTERS = ['attempts', ...OUTCOMES] as const;
export type Counter = (typeof COUNTERS)[number];
export const LATENCY_STATS = ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];
export const OPERATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Operator = (typeof OPERATORS)[number];

/**
 * What the built-in http service counts (services/server.ts):
 * requests     every request it received
 * executions   non-idempotent requests (POST, PATCH) it executed
 * duplicates   executions of a request (by its x-request-id) it had already executed
 * replays      answers given from the idempotency store, without executing
 * peak_inflight  most requests in progress at the same time
 */
const HTTP_SERVICE_COUNTERS = ['requests', 'executions', 'duplicates', 'replays', 'peak_inflight'] as const;
export type ServiceCounter = (typeof HTTP_SERVICE_COUNTERS)[number];
/** Service types that report counters, and which. */
const SERVICE_COUNTERS: Readonly<Record<string, readonly ServiceCounter[]>> = { http: HTTP_SERVICE_COUNTERS };

/** One `<metric> <op> <value>`. */
export interface Comparison {
  /** As written, for reports. */
  readonly text: string;
  /** The load generator, or null: all of them added up (or a service's counter). */
  readonly load: string | null;
  /** The service whose counter this is, or null: a load's. Known once the names are checked. */
  readonly service: string | null;
  /** A load counter, `latency` with a statistic, or a service counter. */
  readonly metric: Counter | 'latency' | ServiceCounter;
  readonly stat: LatencyStat | null;
  readonly op: Operator;
  /** A count, or milliseconds for latency. */
  readonly value: number;
}

/**
 * A comparison, or several joined by `||` (the expression holds when any of
 * them holds). Its own fields are those of the first comparison; `text` is
 * the whole expression.
 */
export interface Expression extends Comparison {
  /** Every comparison, in order; one for a plain comparison. */
  readonly anyOf: readonly Comparison[];
}

const SHAPE = /^\s*([A-Za-z0-9_.-]+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/;
const EXAMPLES = "e.g. 'reset > 0', 'http.timeout == 0', 'http.latency.p99 < 200ms' or 'web.executions == 1'";
const isCounter = (word: string) => (COUNTERS as readonly string[]).includes(word);
const isServiceCounter = (word: string) => Object.values(SERVICE_COUNTERS).some((counters) => (counters as readonly string[]).includes(word));

function parseComparison(text: string, whole: string): Comparison | string {
  const where = text.trim() === whole.trim() ? '' : ` in '${whole.trim()}'`;
  const m = SHAPE.exec(text);
  if (!m) return `invalid expression '${text.trim()}'${where}: expected <metric> <op> <value> with op one of ${OPERATORS.join(' ')}, ${EXAMPLES}`;
  const [, metricText = '', op = '>', valueText = ''] = m;
  const parts = metricText.split('.');
  let load: string | null = null;
  if (parts.length > 1 && !isCounter(parts[0]!) && parts[0] !== 'latency') load = parts.shift()!;
  const [metric = '', stat, ...rest] = parts;
  const counters = `${COUNTERS.join(', ')}, latency.<${LATENCY_STATS.join('|')}>; service counters: ${HTTP_SERVICE_COUNTERS.join(', ')}`;
  if (rest.length > 0) return `invalid metric '${metricText}'${where}: expected [<load>.]<counter>, [<load>.]latency.<stat> or <service>.<counter>; counters: ${counters}`;
  if (metric === 'latency') {
    if (stat === undefined || !(LATENCY_STATS as readonly string[]).includes(stat)) {
      return `invalid metric '${metricText}'${where}: latency needs a statistic: ${LATENCY_STATS.map((s) => `latency.${s}`).join(', ')}`;
    }
    if (!/^\d+(\.\d+)?(ms|s|m|h)$/.test(valueText)) return `invalid value '${valueText}' in '${text.trim()}': a latency needs a unit, e.g. 200ms or 1.5s`;
    return { text: text.trim(), load, service: null, metric: 'latency', stat: stat as LatencyStat, op: op as Operator, value: parseDuration(valueText) };
  }
  // A service counter needs its service's name in front; which service it is, is checked later.
  const known = isCounter(metric) || (load !== null && isServiceCounter(metric));
  if (stat !== undefined || !known) {
    const hint = didYouMean(metric, [...COUNTERS, ...HTTP_SERVICE_COUNTERS], '');
    return `invalid metric '${metricText}'${where}: expected [<load>.]<counter> or <service>.<counter>${hint.startsWith('did') ? ` (${hint})` : ''}; counters: ${counters}`;
  }
  if (!/^\d+$/.test(valueText)) return `invalid value '${valueText}' in '${text.trim()}': a count is a whole number`;
  return { text: text.trim(), load, service: null, metric: metric as Counter | ServiceCounter, stat: null, op: op as Operator, value: Number(valueText) };
}

/** The expression, or what is wrong with it (names are checked later, by resolveNames). */
export function parseExpression(text: string): Expression | string {
  const terms: Comparison[] = [];
  for (const part of text.split('||')) {
    if (part.trim() === '') return `invalid expression '${text.trim()}': '||' needs a comparison on each side, ${EXAMPLES}`;
    const parsed = parseComparison(part, text);
    if (typeof parsed === 'string') return parsed;
    terms.push(parsed);
  }
  return joined(text.trim(), terms);
}

/** An expression from its comparisons: it carries the first one's fields (what a single comparison reads). */
function joined(text: string, terms: Comparison[]): Expression {
  return { ...terms[0]!, text, anyOf: terms };
}

/** For specs: the parse error, or undefined. */
export function expressionProblem(text: string): string | undefined {
  const parsed = parseExpression(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** The names an expression may use: load generators, and services with their type. */
export interface ExpressionNames {
  readonly loads: ReadonlySet<string>;
  readonly services: ReadonlyMap<string, string>;
}

/**
 * The expression with each `<name>.` looked up: a load generator, or a
 * service whose type reports that counter. Returns what is wrong otherwise.
 */
export function resolveNames(e: Expression, names: ExpressionNames): Expression | string {
  const terms: Comparison[] = [];
  for (const term of e.anyOf) {
    const resolved = resolveTerm(term, e.text, names);
    if (typeof resolved === 'string') return resolved;
    terms.push(resolved);
  }
  return joined(e.text, terms);
}

function resolveTerm(c: Comparison, whole: string, names: ExpressionNames): Comparison | string {
  const name = c.load;
  const serviceType = name === null ? undefined : names.services.get(name);
  if (name !== null && names.loads.has(name) && serviceType !== undefined) {
    return `'${name}' in '${whole}' names both a load generator and a service: rename one of them`;
  }
  if (name !== null && serviceType !== undefined) {
    const counters = SERVICE_COUNTERS[serviceType] ?? [];
    if (counters.length === 0) return `service '${name}' in '${whole}' is of type ${serviceType}, which reports no counters (types that do: ${Object.keys(SERVICE_COUNTERS).join(', ')})`;
    if (!(counters as readonly string[]).includes(c.metric)) return `service '${name}' has no counter '${c.metric}' in '${whole}' (${didYouMean(c.metric, counters, 'its counters')})`;
    return { ...c, load: null, service: name };
  }
  if (isServiceCounter(c.metric)) {
    const withCounters = [...names.services].filter(([, type]) => SERVICE_COUNTERS[type]?.includes(c.metric as ServiceCounter)).map(([n]) => n);
    const hint = withCounters.length === 0 ? `no service here reports it (types that do: ${Object.keys(SERVICE_COUNTERS).join(', ')})` : didYouMean(name ?? '', withCounters, 'services with it');
    if (name !== null && names.loads.has(name)) return `load generator '${name}' has no counter '${c.metric}' in '${whole}': it is a service counter (${hint})`;
    return `unknown service '${name}' in '${whole}': '${c.metric}' is a service counter (${hint})`;
  }
  if (names.loads.size === 0) return `'${whole}' counts load, but the scenario has no load generators: add one under load:`;
  if (name !== null && !names.loads.has(name)) return `unknown load generator '${name}' in '${whole}' (${didYouMean(name, [...names.loads], 'load generators')})`;
  return c;
}
