/**
 * The normalised plan a runner consumes: every default filled, durations in
 * milliseconds, sizes in bytes, names checked, variants expanded into full
 * plans; deeply frozen. Field names are camelCase (the file's are snake_case).
 */
import type { Expression } from './expression.js';
import type { StepPlan } from './steps/index.js';

export type Role = 'bug' | 'fix' | 'null';
export const ROLES: readonly Role[] = ['bug', 'fix', 'null'];
export type ReloadStrategy = 'restart' | 'reuseport' | 'handoff';
export const RELOAD_STRATEGIES: readonly ReloadStrategy[] = ['restart', 'reuseport', 'handoff'];
/** How the built-in http service treats an Idempotency-Key (docs/scenarios.md). */
export type IdempotencyMode = 'none' | 'reserve' | 'record';
export const IDEMPOTENCY_MODES: readonly IdempotencyMode[] = ['none', 'reserve', 'record'];

/** Always an argv; `shell: "..."` becomes ["/bin/sh", "-c", "..."] with shell: true. */
export interface Command {
  readonly argv: readonly string[];
  readonly shell: boolean;
}

export interface HostPlan {
  /** The name in the file; the runner picks the real namespace name. */
  readonly name: string;
  /** lo first, then link ends in file order. */
  readonly devices: readonly string[];
  /** The address of each device that has one (lo: 127.0.0.1/8). */
  readonly addresses: Readonly<Record<string, string>>;
  readonly sysctl: Readonly<Record<string, string>>;
}

export interface LinkEnd {
  readonly host: string;
  readonly dev: string;
  readonly address: string | null;
}

/** A veth pair. */
export interface LinkPlan {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  readonly mtu: number | null;
}

export interface TopologyPlan {
  readonly hosts: readonly HostPlan[];
  readonly links: readonly LinkPlan[];
}

export type ReadyCheck =
  | { readonly kind: 'tcp'; readonly address: string; readonly port: number; readonly timeoutMs: number; readonly intervalMs: number }
  | { readonly kind: 'http'; readonly url: string; readonly timeoutMs: number; readonly intervalMs: number }
  | { readonly kind: 'output'; readonly pattern: string; readonly timeoutMs: number; readonly intervalMs: number }
  | { readonly kind: 'exec'; readonly argv: readonly string[]; readonly timeoutMs: number; readonly intervalMs: number }
  | { readonly kind: 'delay'; readonly delayMs: number; readonly timeoutMs: number; readonly intervalMs: number };

export type ServiceType = 'echo' | 'http' | 'proxy' | 'command';
export const SERVICE_TYPES: readonly ServiceType[] = ['echo', 'http', 'proxy', 'command'];

interface ServiceBase {
  readonly name: string;
  readonly host: string;
  readonly ready: ReadyCheck;
}

export interface EchoService extends ServiceBase {
  readonly type: 'echo';
  readonly address: string;
  readonly port: number;
}

export interface HttpService extends ServiceBase {
  readonly type: 'http';
  readonly address: string;
  readonly port: number;
  readonly responseDelayMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly responseBytes: number;
  /** How an Idempotency-Key header is honoured (services/server.ts). */
  readonly idempotency: IdempotencyMode;
}

export interface ProxyService extends ServiceBase {
  readonly type: 'proxy';
  readonly reloadStrategy: ReloadStrategy;
  /** The inline config as written (snake_case, as the proxy reads it), or null with configFile. */
  readonly config: Readonly<Record<string, unknown>> | null;
  /** Absolute path, or null with config. */
  readonly configFile: string | null;
}

export interface CommandService extends ServiceBase {
  readonly type: 'command';
  readonly command: Command;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | null;
  /** What a reload step without its own method does. */
  readonly reload: ReloadMethod;
  readonly stopSignal: string;
}

export type ServicePlan = EchoService | HttpService | ProxyService | CommandService;

export type ReloadMethod =
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'exec'; readonly command: Command }
  | { readonly kind: 'proxy'; readonly strategy: ReloadStrategy }
  /** Stop the process and start it again. */
  | { readonly kind: 'restart' };

interface LoadBase {
  readonly name: string;
  readonly from: string;
  /** Resolved: an IPv4 address (a host name becomes its first address). */
  readonly address: string;
  readonly port: number;
  readonly startMs: number;
  readonly stopMs: number;
  /** Per attempt; past it the attempt counts as `timeout`. */
  readonly timeoutMs: number;
}

/** New TCP connections at a fixed rate. */
export interface TcpConnectLoad extends LoadBase {
  readonly type: 'tcp_connect';
  readonly ratePerSecond: number;
  /** How long each connection stays open once made. */
  readonly holdMs: number;
}

/** HTTP requests over keep-alive connections, with idle gaps between requests. */
export interface HttpKeepaliveLoad extends LoadBase {
  readonly type: 'http_keepalive';
  readonly connections: number;
  /** The gap is drawn uniformly from [min, max] with the run's seed. */
  readonly idleMs: { readonly min: number; readonly max: number };
  readonly path: string;
  readonly method: string;
  /** Tries after a failed attempt, each on a new connection. */
  readonly retries: number;
  /** Send an Idempotency-Key (one per request, the same on its retries). */
  readonly idempotencyKey: boolean;
}

export type LoadPlan = TcpConnectLoad | HttpKeepaliveLoad;

export type Condition = (
  | { readonly kind: 'ready'; readonly service: string }
  | { readonly kind: 'exited'; readonly service: string }
  | { readonly kind: 'metric'; readonly expression: Expression }
  | { readonly kind: 'output'; readonly service: string; readonly pattern: string }
) & { readonly timeoutMs: number };

/**
 * When a step starts. `at`: that long after the timeline starts (steps with
 * times need not be in order); `after`: once the condition holds; `sequence`:
 * once the step before it in the file has finished (the first: at 0).
 */
export type Trigger =
  | { readonly kind: 'at'; readonly atMs: number }
  | { readonly kind: 'after'; readonly condition: Condition }
  | { readonly kind: 'sequence' };

export interface StepBase {
  readonly type: string;
  /** Position in the timeline: list, from 0. */
  readonly index: number;
  readonly trigger: Trigger;
  readonly note: string | null;
}

export interface Expectation {
  readonly expression: Expression;
  readonly because: string | null;
}

/** What a scenario needs from the machine (`requires:`), checked before anything runs. */
export interface Requirements {
  /** Programs on PATH, or absolute paths. */
  readonly commands: readonly string[];
  /** How to install them, for the error; null when the file does not say. */
  readonly install: string | null;
}

/** One runnable scenario: the base, or a variant of it. */
export interface RunPlan {
  readonly name: string;
  readonly description: string;
  readonly requires: Requirements;
  readonly durationMs: number;
  /** Runs per variant; run i uses seed + i. */
  readonly repeat: number;
  readonly seed: number;
  readonly topology: TopologyPlan;
  readonly services: readonly ServicePlan[];
  readonly load: readonly LoadPlan[];
  readonly timeline: readonly StepPlan[];
  readonly expect: readonly Expectation[];
  /** All hold: the bug showed. Empty when the scenario names no signature. */
  readonly signature: readonly Expression[];
}

export interface Override {
  readonly path: string;
  readonly value: unknown;
}

/**
 * A variant, expanded. Verdicts: `bug` passes when the signature holds;
 * `fix` and `null` (the control) pass when every expectation holds and the
 * signature does not.
 */
export interface VariantPlan extends RunPlan {
  readonly variant: string;
  readonly role: Role;
  readonly variantDescription: string;
  readonly overrides: readonly Override[];
}

export interface ScenarioPlan {
  /** Absolute path, or null for text. */
  readonly file: string | null;
  readonly name: string;
  readonly description: string;
  readonly base: RunPlan;
  /** At least one: without variants:, one named `default` with role null. */
  readonly variants: readonly VariantPlan[];
}
