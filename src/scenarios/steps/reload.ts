/** reload: reload a service by a signal, a command, or (proxy) a reload strategy. */
import { RELOAD_STRATEGIES, type ReloadMethod, type ReloadStrategy, type StepBase } from '../planTypes.js';
import { argvSpec, nameSpec, normaliseSignal, shellSpec, signalSpec } from '../schema/common.js';
import { obj, oneOf } from '../schema/spec.js';
import { defineStep } from './registry.js';

export interface ReloadStep extends StepBase {
  readonly type: 'reload';
  readonly service: string;
  /** Without a method in the step: the service's own (a proxy's reload_strategy, a command's reload:, else restart). */
  readonly method: ReloadMethod;
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
    return method && { type: 'reload', service: service.name, method };
  },
  run: (s, ctx) => ctx.service(s.service).reload(s.method, ctx.signal),
});
