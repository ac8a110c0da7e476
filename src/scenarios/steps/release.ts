/** release: deliver everything held on host/dev, in order, and pass traffic again. */
import type { StepBase } from '../planTypes.js';
import { obj } from '../schema/spec.js';
import { defineStep, deviceFields } from './registry.js';

export interface ReleaseStep extends StepBase {
  readonly type: 'release';
  readonly host: string;
  readonly dev: string;
}

export const releaseStep = defineStep<ReleaseStep>({
  type: 'release',
  summary: 'Deliver everything held on host/dev, in order, and let traffic pass again.',
  spec: obj({ ...deviceFields }, { required: ['dev'] }),
  normalise: (d, ctx) => {
    const target = ctx.hostDevice(d);
    return target && { type: 'release', ...target };
  },
  run: (s, ctx) => ctx.release(s.host, s.dev),
  releasesPlug: true,
});
