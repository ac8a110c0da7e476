/**
 * reload: reload a service by a signal, a command, or (proxy) a reload
 * strategy. With `hold`, the reload is wrapped the way Yelp wraps HAProxy's:
 * plug host/dev (e.g. new handshakes only), reload, release, back to back
 * with nothing between, so the plug is held for the reload and no longer.
 */
import { RELOAD_STRATEGIES, type ReloadMethod, type ReloadStrategy, type StepBase } from '../planTypes.js';
import { argvSpec, matchSpec, nameSpec, normaliseMatch, normaliseSignal, shellSpec, signalSpec } from '../schema/common.js';
import { duration, obj, oneOf } from '../schema/spec.js';
import { defineStep, deviceFields } from './registry.js';

/** What a reload holds while it runs: a plug put in just before and released just after. */
export interface ReloadHold {
  readonly host: string;
  readonly dev: string;
  readonly match: string | null;
  readonly maxHoldMs: number;
}

export interface ReloadStep extends StepBase {
  readonly type: 'reload';
  readonly service: string;
  /** Without a method in the step: the service's own (a proxy's reload_strategy, a command's reload:, else restart). */
  readonly method: ReloadMethod;
  readonly hold: ReloadHold | null;
}

export const reloadStep = defineStep<ReloadStep>({
  type: 'reload',
  summary: "Reload a service: by a signal, a command, a proxy reload strategy, or the service's own way.",
  spec: obj(
    {
      service: nameSpec('service to reload'),
      signal: signalSpec,
      argv: argvSpec,
      shell: shellSpec,
      strategy: oneOf(RELOAD_STRATEGIES, { description: "Proxy services only: how the new proxy takes over (default: the service's reload_strategy)." }),
      hold: obj(
        {
          ...deviceFields,
          match: matchSpec,
          max_hold: duration({ default: '60s', positive: true, description: 'Dead-man release: released after this long even if the reload hangs.' }),
        },
        { required: ['dev'], description: "Plug host/dev just before the reload and release it just after, nothing between (Yelp's recipe: hold new handshakes while the listeners change)." },
      ),
    },
    { required: ['service'], atMostOne: [['signal', 'argv', 'shell', 'strategy']] },
  ),
  normalise: (d, ctx) => {
    const service = ctx.service(d);
    if (!service) return undefined;
    let method: ReloadMethod | undefined;
    if (typeof d.signal === 'string') method = { kind: 'signal', signal: normaliseSignal(d.signal) ?? d.signal };
    else if (d.argv !== undefined || d.shell !== undefined) {
      const command = ctx.command(d);
      method = command && { kind: 'exec', command };
    } else if (typeof d.strategy === 'string') {
      if (service.type !== 'proxy') {
        ctx.report('strategy', `'${service.name}' is ${/^[aeiou]/.test(service.type) ? 'an' : 'a'} ${service.type} service: strategy is for proxy services (use signal, argv or shell)`);
        return undefined;
      }
      method = { kind: 'proxy', strategy: d.strategy as ReloadStrategy };
    } else method = service.reload;
    let hold: ReloadHold | null = null;
    if (d.hold && typeof d.hold === 'object') {
      const h = d.hold as Record<string, unknown>;
      const target = ctx.hostDevice(h, 'hold');
      if (!target) return undefined;
      hold = { ...target, match: normaliseMatch(h.match), maxHoldMs: h.max_hold as number };
    }
    return method && { type: 'reload', service: service.name, method, hold };
  },
  run: async (s, ctx) => {
    const service = ctx.service(s.service);
    if (!s.hold) return service.reload(s.method, ctx.signal);
    const { host, dev, match, maxHoldMs } = s.hold;
    let released: Promise<void> | undefined;
    const release = () => (released ??= ctx.release(host, dev));
    await ctx.plug(host, dev, { match, maxHoldMs, limitBytes: null });
    try {
      // Released the moment the reload answers, before anything else (its events) runs.
      await service.reload(s.method, ctx.signal, release);
    } finally {
      await release();
    }
  },
  plugLayout: (s) => (s.hold ? { host: s.hold.host, dev: s.hold.dev, match: s.hold.match, limitBytes: null } : null),
});
