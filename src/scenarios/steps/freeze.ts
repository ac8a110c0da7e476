/** freeze: stop a service's process (SIGSTOP) until a thaw step. */
import type { StepBase } from '../planTypes.js';
import { nameSpec } from '../schema/common.js';
import { obj } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface FreezeStep extends StepBase {
  readonly type: 'freeze';
  readonly service: string;
}

export const freezeStep = defineStep<FreezeStep>({
  type: 'freeze',
  summary: "Stop a service's process (SIGSTOP) until a thaw step; it is thawed at the end of the run in any case.",
  spec: obj({ service: nameSpec('service') }, { required: ['service'] }),
  normalise: (d, ctx) => {
    const service = ctx.service(d);
    return service && { type: 'freeze', service: service.name };
  },
  run: async (s, ctx) => ctx.service(s.service).freeze(),
});
