/**
 * The fixed set of errors qplug raises. Every error has a stable `code` and an
 * exit code; the CLI prints `message` (one line: what failed, why, what to do)
 * and the stack only with --debug.
 */
import { constants as osConstants } from 'node:os';

/** Exit codes, documented in README.md ("Exit codes"). Stable. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  environment: 3,
  notFound: 4,
  permission: 5,
  state: 6,
  /** 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code a shell reports for a process a signal ended: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 2);
}

export type ErrorCode =
  | 'E_USAGE'
  | 'E_REFUSED'
  | 'E_NO_SCH_PLUG'
  | 'E_PERMISSION'
  | 'E_NO_DEVICE'
  | 'E_NO_NETNS'
  | 'E_NOT_ATTACHED'
  | 'E_ALREADY_ATTACHED'
  | 'E_QDISC_IN_PLACE'
  | 'E_NATIVE_MISSING'
  | 'E_KERNEL'
  | 'E_LAB'
  | 'E_LAB_NOT_BUILT'
  | 'E_CONFIG'
  | 'E_SCENARIO'
  | 'E_PROXY'
  | 'E_INTERNAL';

export interface QplugErrorOptions {
  cause?: unknown;
  /** Extra structured detail shown by --json and --debug. */
  details?: Record<string, unknown>;
}

export class QplugError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, exitCode: ExitCodeValue, message: string, options: QplugErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, exitCode: this.exitCode, message: this.message, ...this.details };
  }
}

/** Bad command-line or API arguments. */
export class UsageError extends QplugError {
  constructor(message: string, options?: QplugErrorOptions) {
    super('E_USAGE', ExitCode.usage, message, options);
  }
}

/** A safety guard refused an operation that needs --force. */
export class RefusedError extends QplugError {
  constructor(message: string, options?: QplugErrorOptions) {
    super('E_REFUSED', ExitCode.usage, message, options);
  }
}

/** This machine lacks something qplug needs (sch_plug, the addon, qemu...). */
export class EnvironmentError extends QplugError {
  constructor(code: 'E_NO_SCH_PLUG' | 'E_NATIVE_MISSING' | 'E_LAB' | 'E_LAB_NOT_BUILT', message: string, options?: QplugErrorOptions) {
    super(code, ExitCode.environment, message, options);
  }
}

/** A device, namespace or plug that does not exist. */
export class NotFoundError extends QplugError {
  constructor(code: 'E_NO_DEVICE' | 'E_NO_NETNS' | 'E_NOT_ATTACHED', message: string, options?: QplugErrorOptions) {
    super(code, ExitCode.notFound, message, options);
  }
}

/** Missing CAP_NET_ADMIN over the target namespace. */
export class PermissionError extends QplugError {
  constructor(message: string, options?: QplugErrorOptions) {
    super('E_PERMISSION', ExitCode.permission, message, options);
  }
}

/** The qdisc tree is not in a state the operation can work from. */
export class StateError extends QplugError {
  constructor(code: 'E_ALREADY_ATTACHED' | 'E_QDISC_IN_PLACE', message: string, options?: QplugErrorOptions) {
    super(code, ExitCode.state, message, options);
  }
}

/** The kernel refused for a reason none of the classes above covers. */
export class KernelError extends QplugError {
  constructor(message: string, options?: QplugErrorOptions) {
    super('E_KERNEL', ExitCode.failure, message, options);
  }
}

/**
 * A configuration or scenario file is wrong. `problems` holds one located
 * message per fault ("proxy.yaml:12:5: backends.app.servers[0].port: ...");
 * `message` is the first one plus a count of the rest.
 */
export class ConfigError extends QplugError {
  readonly problems: string[];

  constructor(code: 'E_CONFIG' | 'E_SCENARIO', problems: string[], options?: QplugErrorOptions) {
    const first = problems[0] ?? 'invalid configuration';
    const rest = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(code, ExitCode.usage, `${first}${rest}`, { ...options, details: { problems, ...(options?.details ?? {}) } });
    this.problems = problems;
  }
}

/** The proxy could not do what it was asked (bind, adopt a socket, reach its API). */
export class ProxyError extends QplugError {
  constructor(message: string, options?: QplugErrorOptions) {
    super('E_PROXY', ExitCode.failure, message, options);
  }
}

export function isQplugError(error: unknown): error is QplugError {
  return error instanceof QplugError;
}
