/** sleep: do nothing for a while (useful between sequence steps). */
import type { StepBase } from '../planTypes.js';
import { duration, obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface SleepStep extends StepBase {
  readonly type: 'sleep';
  readonly forMs: number;
}

export const sleepStep = defineStep<SleepStep>({
  type: 'sleep',
  summary: 'Do nothing for `for`; the next sequence step starts after it.',
  spec: obj({ for: duration({ description: 'How long, e.g. 500ms.' }) }, { required: ['for'] }),
  normalise: (d) => ({ type: 'sleep', forMs: d.for as number }),
  run: (s, ctx) => ctx.sleep(s.forMs),
});
