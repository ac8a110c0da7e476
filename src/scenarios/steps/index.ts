/** Importing this module registers every step type; add a new type here. */
import type { PlugStep } from './plug.js';
import type { ReleaseStep } from './release.js';
import type { ReleaseOneStep } from './release_one.js';
import type { PulseStep } from './pulse.js';
import type { ReloadStep } from './reload.js';
import type { SignalStep } from './signal.js';
import type { FreezeStep } from './freeze.js';
import type { ThawStep } from './thaw.js';
import type { SleepStep } from './sleep.js';
import type { WaitStep } from './wait.js';
import type { ExecStep } from './exec.js';
import type { MarkStep } from './mark.js';
import './plug.js';
import './release.js';
import './release_one.js';
import './pulse.js';
import './reload.js';
import './signal.js';
import './freeze.js';
import './thaw.js';
import './sleep.js';
import './wait.js';
import './exec.js';
import './mark.js';

export type StepPlan =
  | PlugStep
  | ReleaseStep
  | ReleaseOneStep
  | PulseStep
  | ReloadStep
  | SignalStep
  | FreezeStep
  | ThawStep
  | SleepStep
  | WaitStep
  | ExecStep
  | MarkStep;

export type { PlugStep, ReleaseStep, ReleaseOneStep, PulseStep, ReloadStep, SignalStep, FreezeStep, ThawStep, SleepStep, WaitStep, ExecStep, MarkStep };
export { defineStep, stepDefinition, stepNeedsPlug, stepPlugLayout, stepSpecs, stepTypes, type PlugLayout, type StepContext, type StepDefinition } from './registry.js';
