/** wait: block the timeline until a condition holds. */
import type { Condition, StepBase } from '../planTypes.js';
import { conditionSpec } from '../schema/common.js';
import { obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface WaitStep extends StepBase {
  readonly type: 'wait';
  readonly until: Condition;
}

export const waitStep = defineStep<WaitStep>({
  type: 'wait',
  summary: 'Wait until a condition holds (ready, exited, metric, output); fails the run after its timeout.',
  spec: obj({ until: conditionSpec }, { required: ['until'] }),
  normalise: (d, ctx) => {
    const until = ctx.condition(d.until, 'until');
    return until && { type: 'wait', until };
  },
  run: (s, ctx) => ctx.waitFor(s.until),
});
