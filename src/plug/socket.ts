/** Opening namespace-bound sockets and calling them with translated errors. */
import { loadNative } from '../native/loadNative.js';
import type { NativeRouteSocket } from '../native/AddonTypes.js';
import type { NetnsRef } from './netns.js';
import { translateNativeError, type PlugOperation } from './translate.js';
import { UsageError } from '../errors.js';

export function openSocket(ref: NetnsRef): NativeRouteSocket {
  const addon = loadNative();
  try {
    return new addon.RouteSocket(ref.path === null ? {} : { netns: ref.path });
  } catch (error) {
    throw translateNativeError(error, { op: 'open', netnsLabel: ref.label });
  }
}

export async function call<T>(op: PlugOperation, ctx: { dev?: string; ref: NetnsRef }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateNativeError(error, { op, dev: ctx.dev, netnsLabel: ctx.ref.label });
  }
}

export function checkDev(dev: unknown): string {
  if (typeof dev !== 'string' || dev.length === 0 || dev.length > 15 || /[\s/\0]/.test(dev)) {
    throw new UsageError(`invalid device name ${JSON.stringify(dev)}: expected an interface name such as eth0 (at most 15 characters)`);
  }
  return dev;
}
