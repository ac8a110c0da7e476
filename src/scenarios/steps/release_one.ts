/** release_one: sch_plug's release_one: deliver what was held before the last plug, keep holding the rest. */
import type { StepBase } from '../planTypes.js';
import { obj } from '../schema/spec.js';
import { defineStep, deviceFields } from './registry.js';

export interface ReleaseOneStep extends StepBase {
  readonly type: 'release_one';
  readonly host: string;
  readonly dev: string;
}

export const releaseOneStep = defineStep<ReleaseOneStep>({
  type: 'release_one',
  summary: 'Deliver what was held before the last plug and keep holding what came after.',
  spec: obj({ ...deviceFields }, { required: ['dev'] }),
  normalise: (d, ctx) => {
    const target = ctx.hostDevice(d);
    return target && { type: 'release_one', ...target };
  },
  run: (s, ctx) => ctx.releaseOne(s.host, s.dev),
  releasesPlug: true,
});
