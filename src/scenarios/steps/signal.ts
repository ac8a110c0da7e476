/** signal: send a signal to a service's process. */
import type { StepBase } from '../planTypes.js';
import { nameSpec, normaliseSignal, signalSpec } from '../schema/common.js';
import { obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface SignalStep extends StepBase {
  readonly type: 'signal';
  readonly service: string;
  /** SIGHUP, SIGUSR2... */
  readonly signal: string;
}

export const signalStep = defineStep<SignalStep>({
  type: 'signal',
  summary: "Send a signal to a service's process.",
  spec: obj({ service: nameSpec('service'), signal: signalSpec }, { required: ['service', 'signal'] }),
  normalise: (d, ctx) => {
    const service = ctx.service(d);
    return service && { type: 'signal', service: service.name, signal: normaliseSignal(String(d.signal)) ?? String(d.signal) };
  },
  run: async (s, ctx) => ctx.service(s.service).sendSignal(s.signal),
});
