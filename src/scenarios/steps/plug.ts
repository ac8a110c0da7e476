/** plug: freeze every (matching) packet leaving a device of a host. */
import type { StepBase } from '../planTypes.js';
import { matchSpec, normaliseMatch } from '../schema/common.js';
import { duration, obj, size } from '../schema/spec.js';
import { defineStep, deviceFields } from './registry.js';

export interface PlugStep extends StepBase {
  readonly type: 'plug';
  readonly host: string;
  readonly dev: string;
  /** Normalised match expression, or null: every packet. */
  readonly match: string | null;
  /** Dead-man release: the plug is released this long after freezing, whatever happens. */
  readonly maxHoldMs: number;
  /** Queue limit in bytes, or null: the kernel default. */
  readonly limitBytes: number | null;
}

export const plugStep = defineStep<PlugStep>({
  type: 'plug',
  summary: 'Freeze: hold every (matching) packet leaving host/dev until a release.',
  spec: obj(
    {
      ...deviceFields,
      match: matchSpec,
      max_hold: duration({ default: '60s', positive: true, description: 'Dead-man release: released after this long even if the run goes wrong.' }),
      limit: size({ description: 'How many bytes the plug may hold (default: the kernel default).' }),
    },
    { required: ['dev'] },
  ),
  normalise: (d, ctx) => {
    const target = ctx.hostDevice(d);
    if (!target) return undefined;
    return {
      type: 'plug',
      ...target,
      match: normaliseMatch(d.match),
      maxHoldMs: d.max_hold as number,
      limitBytes: typeof d.limit === 'number' ? d.limit : null,
    };
  },
  run: (s, ctx) => ctx.plug(s.host, s.dev, { match: s.match, maxHoldMs: s.maxHoldMs, limitBytes: s.limitBytes }),
  plugLayout: (s) => ({ host: s.host, dev: s.dev, match: s.match, limitBytes: s.limitBytes }),
});
