/** mark: a named moment, shown in the results and on latency timelines. */
import type { StepBase } from '../planTypes.js';
import { str, obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface MarkStep extends StepBase {
  readonly type: 'mark';
  readonly name: string;
}

export const markStep = defineStep<MarkStep>({
  type: 'mark',
  summary: 'Record a named moment in the results (e.g. "reload started").',
  spec: obj({ name: str({ minLength: 1, description: 'What happened at this moment.' }) }, { required: ['name'] }),
  normalise: (d) => ({ type: 'mark', name: String(d.name) }),
  run: async (s, ctx) => ctx.mark(s.name),
});
