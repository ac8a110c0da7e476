/** pulse: freeze host/dev, hold for a while, release. */
import type { StepBase } from '../planTypes.js';
import { matchSpec, normaliseMatch } from '../schema/common.js';
import { duration, obj } from '../schema/spec.js';
import { defineStep, deviceFields } from './registry.js';

export interface PulseStep extends StepBase {
  readonly type: 'pulse';
  readonly host: string;
  readonly dev: string;
  readonly holdMs: number;
  readonly match: string | null;
}

export const pulseStep = defineStep<PulseStep>({
  type: 'pulse',
  summary: 'Freeze host/dev, hold for `hold`, then release; the step lasts as long as the hold.',
  spec: obj({ ...deviceFields, hold: duration({ positive: true, description: 'How long to hold, e.g. 250ms.' }), match: matchSpec }, { required: ['dev', 'hold'] }),
  normalise: (d, ctx) => {
    const target = ctx.hostDevice(d);
    if (!target) return undefined;
    return { type: 'pulse', ...target, holdMs: d.hold as number, match: normaliseMatch(d.match) };
  },
  run: async (s, ctx) => {
    // The dead-man release covers the hold with room to spare.
    await ctx.plug(s.host, s.dev, { match: s.match, maxHoldMs: Math.max(s.holdMs * 2, s.holdMs + 60_000), limitBytes: null });
    try {
      await ctx.sleep(s.holdMs);
    } finally {
      await ctx.release(s.host, s.dev);
    }
  },
  plugLayout: (s) => ({ host: s.host, dev: s.dev, match: s.match, limitBytes: null }),
});
