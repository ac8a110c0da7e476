/**
 * Turns the addon's structured errors (code = errno name, errno, call,
 * kernelMessage) into qplug's fixed error classes with a remedy.
 */
import {
  EnvironmentError,
  KernelError,
  NotFoundError,
  PermissionError,
  QplugError,
  StateError,
  isQplugError,
} from '../errors.js';
import type { NativeErrorFields } from '../native/AddonTypes.js';

export type PlugOperation = 'attach' | 'buffer' | 'release_one' | 'release_indefinite' | 'limit' | 'detach' | 'list' | 'open';

export interface ErrorContext {
  op: PlugOperation;
  dev?: string;
  netnsLabel?: string | null;
}

export const NO_SCH_PLUG_REMEDY =
  'this kernel has no sch_plug (CONFIG_NET_SCH_PLUG is not set and the module cannot be loaded): run it inside the kernel lab, e.g. `qplug lab run -- qplug attach <dev>` (build it once with `qplug lab build`)';

export function isNativeError(error: unknown): error is Error & NativeErrorFields {
  return error instanceof Error && typeof (error as Partial<NativeErrorFields>).code === 'string' && typeof (error as Partial<NativeErrorFields>).errno === 'number';
}

function where(ctx: ErrorContext): string {
  const ns = ctx.netnsLabel ? ` in network namespace '${ctx.netnsLabel}'` : '';
  return ctx.dev ? `${ctx.dev}${ns}` : ns.trim() || 'the current network namespace';
}

const VERBS: Record<PlugOperation, string> = {
  attach: 'attach a plug qdisc to',
  buffer: 'freeze (buffer) traffic on',
  release_one: 'release one epoch on',
  release_indefinite: 'release traffic on',
  limit: 'set the plug limit on',
  detach: 'detach the plug qdisc from',
  list: 'list qdiscs of',
  open: 'open a netlink socket in',
};

export function translateNativeError(error: unknown, ctx: ErrorContext): QplugError {
  if (isQplugError(error)) return error;
  if (!isNativeError(error)) {
    return new KernelError(`could not ${VERBS[ctx.op]} ${where(ctx)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const details = { errno: error.errno, errnoName: error.code, call: error.call, kernelMessage: error.kernelMessage ?? null };
  const kernelSays = error.kernelMessage ? ` (kernel: ${error.kernelMessage})` : '';
  const what = `could not ${VERBS[ctx.op]} ${where(ctx)}`;
  const opts = { cause: error, details };
  switch (error.code) {
    case 'EPERM':
    case 'EACCES':
      return new PermissionError(
        `${what}: ${error.call} was refused (${error.code}): needs CAP_NET_ADMIN over that network namespace: run as root (sudo), or inside \`unshare -rn\` for a private one`,
        opts,
      );
    case 'ENODEV':
      return new NotFoundError('E_NO_DEVICE', `${what}: no such network device: list devices with \`ip link\`${ctx.netnsLabel ? ` (inside the namespace: \`ip -n ${ctx.netnsLabel} link\`)` : ''}`, opts);
    case 'ENOENT':
      if (ctx.op === 'open') {
        return new NotFoundError('E_NO_NETNS', `${what}: the namespace file does not exist: list them with \`ip netns list\``, opts);
      }
      if (ctx.op === 'attach' && (!error.kernelMessage || /kind is unknown/i.test(error.kernelMessage))) {
        return new EnvironmentError('E_NO_SCH_PLUG', `${what}: ${NO_SCH_PLUG_REMEDY}`, opts);
      }
      if (ctx.op === 'attach') {
        return new NotFoundError('E_NOT_ATTACHED', `${what}: the parent does not exist${kernelSays}: check the --parent handle with \`tc class show dev ${ctx.dev ?? '<dev>'}\``, opts);
      }
      return new NotFoundError('E_NOT_ATTACHED', `${what}: the plug qdisc is gone${kernelSays}: attach it again with \`qplug attach ${ctx.dev ?? '<dev>'}\``, opts);
    case 'EEXIST':
      return new StateError('E_QDISC_IN_PLACE', `${what}: a qdisc with that handle or at that parent already exists${kernelSays}: see \`tc qdisc show dev ${ctx.dev ?? '<dev>'}\``, opts);
    case 'EINVAL':
      if (ctx.op === 'open') {
        return new NotFoundError('E_NO_NETNS', `${what}: that file is not a network namespace: give /run/netns/NAME or /proc/PID/ns/net`, opts);
      }
      return new KernelError(`${what}: ${error.call} got EINVAL${kernelSays}: the qdisc at that place is probably not a plug (see \`tc qdisc show dev ${ctx.dev ?? '<dev>'}\`)`, opts);
    default:
      return new KernelError(`${what}: ${error.call} failed with ${error.code} (errno ${error.errno})${kernelSays}: rerun with --debug and see \`tc qdisc show\``, opts);
  }
}
