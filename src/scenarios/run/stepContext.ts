/** What a step's `run` may use: the run's plugs, services, hosts and clock. */
import type { Command, Condition } from '../planTypes.js';
import type { ServiceProcess } from '../services/ServiceProcess.js';
import type { PlugOptions } from './plugs.js';
import type { CommandResult } from './proc.js';

export interface StepRunContext {
  /** Aborted when the run ends early (a failed step, an interrupt). */
  readonly signal: AbortSignal;
  plug(host: string, dev: string, options: PlugOptions): Promise<void>;
  release(host: string, dev: string): Promise<void>;
  releaseOne(host: string, dev: string): Promise<void>;
  service(name: string): ServiceProcess;
  /** Run a command inside a host's namespace. */
  exec(host: string, command: Command, env: Readonly<Record<string, string>>, timeoutMs: number): Promise<CommandResult>;
  /** Resolves when the condition holds; rejects after its timeout. */
  waitFor(condition: Condition): Promise<void>;
  sleep(ms: number): Promise<void>;
  mark(name: string): void;
}

/** A step that did not do what it should: fails the run (not the environment). */
export class StepFailure extends Error {}
