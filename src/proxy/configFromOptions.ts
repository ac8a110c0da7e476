/**
 * The one-line form (`qplug proxy --listen A --backend B ...`): the same
 * normalised ProxyConfig as a file with one frontend "main" and one backend
 * "main" whose servers are s1, s2... in the order given.
 */
import { UsageError } from '../errors.js';
import { parseDuration, parseSize } from '../plug/units.js';
import { parseAddress } from './address.js';
import {
  BALANCE_ALGORITHMS,
  LIMITS,
  RELOAD_STRATEGIES,
  apiPathProblem,
  completeConfig,
  definedOnly,
  poolProblem,
  type BalanceAlgorithm,
  type ProxyConfig,
  type ReloadStrategy,
} from './configSchema.js';

export interface ProxyOptions {
  /** host:port to listen on (port 0: a free one). */
  listen: string;
  /** host:port of each server. */
  backends: readonly string[];
  splice?: boolean;
  /** Frontend maxconn. */
  maxconn?: number;
  threads?: number;
  balance?: BalanceAlgorithm;
  /** Bytes, or a size such as "64k". */
  bufferSize?: number | string;
  bufferPool?: number | string;
  /** Milliseconds, or a duration such as "5s". */
  grace?: number | string;
  /** global.reload_strategy. */
  reloadStrategy?: ReloadStrategy;
  /** global.api: the runtime API's unix socket. */
  api?: string;
}

export const ONE_LINE_NAME = 'main';

/** Throws UsageError naming the flag at fault. */
export function proxyConfigFromOptions(options: ProxyOptions): ProxyConfig {
  const listen = parseAddress(options.listen, { bind: true });
  if (typeof listen === 'string') throw new UsageError(`--listen ${listen}`);
  if (options.backends.length === 0) throw new UsageError('--listen needs at least one --backend host:port');
  const servers = options.backends.map((text, i) => {
    const parsed = parseAddress(text, { bind: false });
    if (typeof parsed === 'string') throw new UsageError(`--backend ${parsed}`);
    return { name: `s${i + 1}`, ...parsed };
  });
  const threads = intOption('--threads', options.threads, LIMITS.threads);
  const maxconn = intOption('--maxconn', options.maxconn, LIMITS.maxconn);
  if (options.balance !== undefined && !BALANCE_ALGORITHMS.includes(options.balance)) {
    throw new UsageError(`--balance '${String(options.balance)}' is not one of ${BALANCE_ALGORITHMS.join(', ')}`);
  }
  const reloadStrategy = options.reloadStrategy;
  if (reloadStrategy !== undefined && !RELOAD_STRATEGIES.includes(reloadStrategy)) {
    throw new UsageError(`--reload-strategy '${String(reloadStrategy)}' is not one of ${RELOAD_STRATEGIES.join(', ')}`);
  }
  const bufferSize = options.bufferSize === undefined ? undefined : parseSize(options.bufferSize, '--buffer-size');
  if (bufferSize !== undefined && (bufferSize < LIMITS.bufferSize.min || bufferSize > LIMITS.bufferSize.max)) {
    throw new UsageError(`--buffer-size ${bufferSize} bytes is out of range (use ${LIMITS.bufferSize.min} to ${LIMITS.bufferSize.max} bytes)`);
  }
  const bufferPool = options.bufferPool === undefined ? undefined : parseSize(options.bufferPool, '--buffer-pool');
  const graceMs = options.grace === undefined ? undefined : typeof options.grace === 'number' ? options.grace : parseDuration(options.grace, '--grace');
  const apiProblem = options.api === undefined ? undefined : apiPathProblem(options.api);
  if (apiProblem) throw new UsageError(`--api: ${apiProblem}`);
  const draft = {
    global: definedOnly({ threads, bufferSize, bufferPool, graceMs, reloadStrategy, api: options.api }),
    frontends: [{ name: ONE_LINE_NAME, ...listen, backend: ONE_LINE_NAME, ...definedOnly({ maxconn, splice: options.splice }) }],
    backends: [{ name: ONE_LINE_NAME, servers, ...definedOnly({ balance: options.balance, splice: options.splice }) }],
  };
  const config = completeConfig(draft, '<command line>');
  const problem = poolProblem(config.global.bufferSize, config.global.bufferPool);
  if (problem) throw new UsageError(problem.replace('buffer_pool', '--buffer-pool').replace('buffer_size', '--buffer-size'));
  return config;
}

function intOption(flag: string, value: number | undefined, range: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && value >= range.min && value <= range.max) return value;
  throw new UsageError(`${flag} ${value} is not a whole number from ${range.min} to ${range.max}`);
}
