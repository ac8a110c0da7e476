/**
 * What a scenario run reports while it happens (events, for the plain printer
 * and the live view) and when it is over (results, for --json and reports).
 */
import type { Counter, LatencyStat, Outcome } from '../expression.js';
import type { Role } from '../planTypes.js';

export type Outcomes = Record<Outcome, number>;
export type Counters = Record<Counter, number>;
export type LatencySummary = Record<LatencyStat, number>;

/** One attempt of a load generator: when it started (ms after t0), how it ended, how long it took. */
export interface Attempt {
  readonly load: string;
  readonly startMs: number;
  readonly outcome: Outcome;
  readonly latencyMs: number;
}

/** A proxy reload a step did: the master's PID, the old and the new worker's, how long it took. */
export interface ReloadRecord {
  readonly service: string;
  readonly strategy: string;
  readonly pid: number | null;
  readonly oldPid: number;
  readonly newPid: number;
  /** The proxy's own measure: from its reload command until the new worker served. */
  readonly ms: number;
  /** From the reload request to its answer, as the step saw it (what a plug held across the reload waits). */
  readonly callMs: number;
  /** When the reload finished, ms after t0. */
  readonly atMs: number;
}

/** A device holding traffic: its plug step until the release (release_one steps inside do not end it). */
export interface PlugWindow {
  readonly host: string;
  readonly dev: string;
  readonly match: string | null;
  readonly fromMs: number;
  readonly toMs: number | null;
}

export type RunPhase = 'cleanup' | 'topology' | 'services' | 'load' | 'timeline' | 'teardown';

/** Everything the runner emits, discriminated by `type`. `atMs` is ms after the run's t0 (load start), or null before it. */
export type ScenarioEvent =
  | { type: 'scenario-start'; scenario: string; seed: number; variants: string[]; repeat: Record<string, number> }
  | { type: 'leftovers-removed'; runId: string; namespaces: string[] }
  | { type: 'variant-start'; variant: string; role: Role }
  | { type: 'run-start'; variant: string; run: number; runs: number; runId: string; seed: number }
  | { type: 'phase'; variant: string; run: number; phase: RunPhase }
  | { type: 'service'; variant: string; run: number; service: string; state: 'starting' | 'ready' | 'exited' | 'reloaded' | 'stopped' | 'frozen' | 'thawed'; pid: number | null; detail: string | null }
  | { type: 'step-start'; variant: string; run: number; index: number; step: string; atMs: number }
  | { type: 'step-end'; variant: string; run: number; index: number; step: string; atMs: number; error: string | null }
  | { type: 'plug'; variant: string; run: number; host: string; dev: string; state: 'buffering' | 'pass-through' | 'release-one' | 'detached'; match: string | null; atMs: number }
  | { type: 'mark'; variant: string; run: number; name: string; atMs: number }
  | ({ type: 'reload'; variant: string; run: number } & ReloadRecord)
  | { type: 'attempts'; variant: string; run: number; attempts: readonly Attempt[] }
  | { type: 'counters'; variant: string; run: number; atMs: number; counters: Readonly<Record<string, Counters>> }
  | { type: 'warning'; variant: string | null; run: number | null; message: string }
  | { type: 'run-end'; result: RunResult }
  | { type: 'variant-end'; summary: VariantSummary }
  | { type: 'scenario-end'; summary: ScenarioSummary };

export interface ExpectationResult {
  readonly that: string;
  readonly because: string | null;
  readonly held: boolean;
  /** The measured value: a count, or ms for a latency. */
  readonly value: number;
}

export interface RunResult {
  readonly variant: string;
  readonly role: Role;
  /** From 1. */
  readonly run: number;
  readonly runId: string;
  readonly seed: number;
  readonly durationMs: number;
  /** Every generator added up. */
  readonly outcomes: Outcomes;
  readonly attempts: number;
  readonly latency: LatencySummary;
  /** Per generator. */
  readonly load: Readonly<Record<string, { readonly counters: Counters; readonly latency: LatencySummary }>>;
  /** Null when the scenario has no signature. */
  readonly signatureSeen: boolean | null;
  /** ms after the run started when the signature was first seen to hold, or null. */
  readonly signatureSeenAtMs: number | null;
  readonly signature: readonly ExpectationResult[];
  readonly expectations: readonly ExpectationResult[];
  /** The bug showed: the signature held (or, without a signature, an expectation failed). */
  readonly reproduced: boolean;
  /** The run did what its role asks (see VariantPlan). */
  readonly passed: boolean;
  /** A step, the setup or a service failed: the run could not be judged as planned. */
  readonly error: string | null;
  /** The error came from the environment (setup, kernel, permissions), not from the scenario's own checks. */
  readonly environmentError: boolean;
  readonly marks: readonly { readonly name: string; readonly atMs: number }[];
  /** Proxy reloads, in order. */
  readonly reloads: readonly ReloadRecord[];
  /** When each device held traffic: from its plug (or pulse) to its release (or the teardown), ms after t0; `toMs` null only if it was never let go. */
  readonly plugWindows: readonly PlugWindow[];
  readonly warnings: readonly string[];
}

export interface VariantSummary {
  readonly name: string;
  /** null for the control (role: null in the file). */
  readonly role: 'bug' | 'fix' | null;
  readonly seed: number;
  readonly runs: number;
  readonly reproduced: number;
  /** reproduced / runs, 0..1. */
  readonly rate: number;
  /** ms from the variant's start until the signature was first seen in a run that reproduced; null if none did. */
  readonly first_reproduction_ms: number | null;
  readonly outcomes: Outcomes;
  readonly attempts: number;
  /** bug: at least one run reproduced; fix/null: every run held every expectation and none showed the signature. */
  readonly passed: boolean;
  readonly errors: number;
  readonly results: readonly RunResult[];
}

export interface ScenarioSummary {
  readonly scenario: string;
  readonly file: string | null;
  readonly seed: number;
  readonly variants: readonly VariantSummary[];
  /** 0 all expectations held, 1 an expectation failed, 2 the scenario or the environment is wrong, 128+N a signal. */
  readonly exit_code: number;
  readonly interrupted: NodeJS.Signals | null;
  readonly duration_ms: number;
  /** Where it ran: this machine, or the kernel lab. */
  readonly where: 'host' | 'lab';
}

/** The record a reload event carries. */
export function reloadRecordOf(e: Extract<ScenarioEvent, { type: 'reload' }>): ReloadRecord {
  return { service: e.service, strategy: e.strategy, pid: e.pid, oldPid: e.oldPid, newPid: e.newPid, ms: e.ms, callMs: e.callMs, atMs: e.atMs };
}
