/**
 * What the master and a worker say over the IPC channel of child_process.fork.
 * The master only calls (request -> one result); the worker answers and also
 * sends events (health transitions, warnings, connection logs, hand-off
 * progress). Errors cross the channel as SerializedError and become the same
 * QplugError class again on the other side, so the CLI prints them alike.
 */
import { ConfigError, EnvironmentError, ProxyError, QplugError, UsageError } from '../../errors.js';
import type { NativeEngineEvent } from '../../native/AddonTypes.js';
import type { ProxyConfig } from '../configSchema.js';
import type { HealthTransition } from '../health.js';
import type { ProxyAddress } from '../Proxy.js';
import type { ServerStateImport } from '../serverState.js';

export interface StartRequest {
  config: ProxyConfig;
  /** Frontends bound with port 0 keep the port the previous worker had (restart, reuseport). */
  ports: Record<string, number>;
  /** handoff: receive the listening sockets on this unix socket path first. */
  handoffPath?: string;
  /** Frontends that take a received socket (same name, same bind in both configs). */
  adopt?: string[];
  serverState?: ServerStateImport[];
  /** Forward a 'connection' event per closed connection (--log). */
  connectionEvents: boolean;
}

/** Control calls the master makes on a worker, besides the Proxy methods in PROXY_METHODS. */
export interface ControlCalls {
  start: [StartRequest];
  /** handoff, old worker: pass every listening socket to `path`. */
  sendListeners: [path: string];
  /** restart, old worker: close the listeners now (connections are refused until the new one binds). */
  closeListeners: [];
  /**
   * Stop accepting (`pause`: the sockets stay open for whoever else holds them,
   * so their accept queues survive; otherwise closed), let connections finish for
   * graceMs, abort the rest; resolves with the final stats. The worker exits after.
   */
  drain: [graceMs: number, pause: boolean];
  /** `show info` of the worker's proxy (api/target.ts proxyInfo). */
  info: [];
}

/** Proxy methods a worker serves to the master (the runtime API goes through them). */
export const PROXY_METHODS = ['stats', 'health', 'addresses', 'serverState', 'setAdmin', 'setWeight', 'setHealth'] as const;
export type ProxyMethod = (typeof PROXY_METHODS)[number];

export type CallMethod = keyof ControlCalls | ProxyMethod;

export interface SerializedError {
  message: string;
  code?: string;
  problems?: string[];
  details?: Record<string, unknown>;
}

export type ToWorker = { type: 'call'; id: number; method: CallMethod; args: unknown[] };

export type WorkerEvent =
  | { type: 'loaded' }
  | { type: 'receiving' }
  | { type: 'health'; transition: HealthTransition }
  | { type: 'warning'; message: string }
  | { type: 'connection'; event: NativeEngineEvent };

export type FromWorker = WorkerEvent | { type: 'result'; id: number; value?: unknown; error?: SerializedError };

/** The answer to 'start'. */
export interface StartResult {
  addresses: ProxyAddress[];
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ConfigError) return { message: error.message, code: error.code, problems: error.problems };
  if (error instanceof QplugError) return { message: error.message, code: error.code, details: error.details };
  const code = (error as { code?: unknown } | null)?.code;
  return { message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}

/** The same error class again, so the CLI maps it to the same exit code and line. */
export function deserializeError(e: SerializedError): Error {
  const options = e.details ? { details: e.details } : {};
  switch (e.code) {
    case 'E_CONFIG':
      return new ConfigError('E_CONFIG', e.problems ?? [e.message]);
    case 'E_USAGE':
      return new UsageError(e.message, options);
    case 'E_NATIVE_MISSING':
      return new EnvironmentError('E_NATIVE_MISSING', e.message, options);
    case 'E_PROXY':
      return new ProxyError(e.message, options);
    default: {
      const error = new Error(e.message) as Error & { code?: string };
      if (e.code) error.code = e.code;
      return error;
    }
  }
}
