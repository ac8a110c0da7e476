/** thaw: let a frozen service's process run again (SIGCONT). */
import type { StepBase } from '../planTypes.js';
import { nameSpec } from '../schema/common.js';
import { obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface ThawStep extends StepBase {
  readonly type: 'thaw';
  readonly service: string;
}

export const thawStep = defineStep<ThawStep>({
  type: 'thaw',
  summary: "Let a frozen service's process run again (SIGCONT).",
  spec: obj({ service: nameSpec('service') }, { required: ['service'] }),
  normalise: (d, ctx) => {
    const service = ctx.service(d);
    return service && { type: 'thaw', service: service.name };
  },
  run: async (s, ctx) => ctx.service(s.service).thaw(),
});
