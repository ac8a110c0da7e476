/**
 * Building the qdisc layout for a plug:
 *  - plain:     the plug itself at the attach point;
 *  - selective: a 2-band prio at the attach point, the plug as band 0 (P:1),
 *               everything else to band 1 (P:2) by the priomap, and a u32
 *               filter steering matching packets into the plug's band.
 * The plug is released (pass-through) before any traffic can reach it, so
 * attaching never freezes anything. On failure, what was built is removed.
 */
import type { NativeQdisc, NativeRouteSocket } from '../native/AddonTypes.js';
import { StateError } from '../errors.js';
import { formatHandle, TC_H_ROOT } from './handles.js';
import type { CompiledMatch } from './match.js';
import type { NetnsRef } from './netns.js';
import { call } from './socket.js';
import type { PlugRecord } from './state.js';
import type { PlugOperation } from './translate.js';

export interface Layout {
  handle: number;
  parent: number;
  root: PlugRecord['root'];
  previous: PlugRecord['previous'];
}

interface BuildContext {
  socket: NativeRouteSocket;
  ref: NetnsRef;
  dev: string;
  ifindex: number;
  parent: number;
  handle: number;
  limitBytes: number | null;
  match: CompiledMatch | null;
}

const FILTER_PRIORITY = 1;
const PLUG_BAND_MINOR = 1;
const OTHER_BAND_PRIOMAP = new Array<number>(16).fill(1);

function placeOf(parent: number): string {
  return parent === TC_H_ROOT ? 'root' : `parent ${formatHandle(parent)}`;
}

/** Refuse what detach could not put back exactly; returns what is there now. */
export function checkAttachPoint(dev: string, parent: number, qdiscs: NativeQdisc[]): NativeQdisc | undefined {
  const current = qdiscs.find((q) => q.parent === parent);
  const plugHere = qdiscs.find((q) => q.kind === 'plug');
  if (current?.kind === 'plug' || plugHere) {
    const plug = current?.kind === 'plug' ? current : plugHere!;
    throw new StateError(
      'E_ALREADY_ATTACHED',
      `${dev} already has a plug qdisc ${formatHandle(plug.handle)} (${placeOf(plug.parent)}): use \`qplug plug ${dev}\` / \`qplug release ${dev}\`, or \`qplug detach ${dev}\` first`,
    );
  }
  // Handle 0 is the kernel's default qdisc; deleting ours brings it back.
  if (current && current.handle !== 0) {
    throw new StateError(
      'E_QDISC_IN_PLACE',
      `${dev} has qdisc ${current.kind} ${formatHandle(current.handle)} at ${placeOf(parent)}, which qplug could not put back exactly after detach: attach under one of its classes with --parent, or remove it first (\`tc qdisc del dev ${dev} ${placeOf(parent)}\`)`,
    );
  }
  return current;
}

async function handleOf(c: BuildContext, parent: number, kind: string, requested: number): Promise<number> {
  if (requested !== 0) return requested;
  const after = await call('list', { dev: c.dev, ref: c.ref }, () => c.socket.listQdiscs(c.ifindex));
  const found = after.find((q) => q.parent === parent && q.kind === kind);
  if (!found) throw new StateError('E_QDISC_IN_PLACE', `the ${kind} qdisc qplug just added to ${c.dev} is not there any more: another tool changed the tree; see \`tc qdisc show dev ${c.dev}\``);
  return found.handle;
}

async function addOpenPlug(c: BuildContext, parent: number, handle: number): Promise<number> {
  const ctx = { dev: c.dev, ref: c.ref };
  await call('attach', ctx, () => c.socket.addPlug(c.ifindex, parent, handle, c.limitBytes ?? 0));
  const plugHandle = await handleOf(c, parent, 'plug', handle);
  // sch_plug starts out buffering: open it before anything is steered to it.
  await call('release_indefinite', ctx, () => c.socket.changePlug(c.ifindex, parent, plugHandle, 'release_indefinite', 0));
  return plugHandle;
}

export async function buildLayout(c: BuildContext, previous: NativeQdisc | undefined): Promise<Layout> {
  const ctx = { dev: c.dev, ref: c.ref };
  const prev = previous ? { kind: previous.kind, handle: previous.handle } : null;
  if (!c.match) {
    let plugHandle = 0;
    try {
      plugHandle = await addOpenPlug(c, c.parent, c.handle);
    } catch (error) {
      if (plugHandle || c.handle) await c.socket.deleteQdisc(c.ifindex, c.parent, plugHandle || c.handle).catch(() => undefined);
      throw error;
    }
    return { handle: plugHandle, parent: c.parent, root: null, previous: prev };
  }
  const match = c.match;
  await call('attach', ctx, () => c.socket.addPrio(c.ifindex, c.parent, 0, 2, OTHER_BAND_PRIOMAP));
  let prioHandle = 0;
  try {
    prioHandle = await handleOf(c, c.parent, 'prio', 0);
    const band = ((prioHandle & 0xffff0000) | PLUG_BAND_MINOR) >>> 0;
    const plugHandle = await addOpenPlug(c, band, c.handle);
    await call('attach', ctx, () =>
      c.socket.addU32Filter(c.ifindex, prioHandle, { priority: FILTER_PRIORITY, protocol: match.protocol, keys: match.keys, classid: band }),
    );
    return { handle: plugHandle, parent: band, root: { kind: 'prio', handle: prioHandle, parent: c.parent }, previous: prev };
  } catch (error) {
    // Deleting the prio takes its bands and filters with it.
    if (prioHandle) await c.socket.deleteQdisc(c.ifindex, c.parent, prioHandle).catch(() => undefined);
    throw error;
  }
}

/** Runs one native call; PlugQdisc passes one that translates errors. */
export type Guard = <T>(op: PlugOperation, fn: () => Promise<T>) => Promise<T>;

const drainPollMs = 5;

/**
 * Undo buildLayout: release everything, let the queue drain (bounded), then
 * delete what attach built — the prio of a selective plug takes its bands and
 * filters with it. The kernel puts back the default qdisc that was there.
 */
export async function removeLayout(
  socket: NativeRouteSocket,
  record: Pick<PlugRecord, 'ifindex' | 'parent' | 'handle' | 'root'>,
  options: { drainTimeoutMs: number; guard?: Guard },
): Promise<{ drained: boolean }> {
  const guard: Guard = options.guard ?? ((_op, fn) => fn());
  const { ifindex, parent, handle } = record;
  await guard('release_indefinite', () => socket.changePlug(ifindex, parent, handle, 'release_indefinite', 0));
  const deadline = Date.now() + options.drainTimeoutMs;
  let drained = false;
  for (;;) {
    const q = (await guard('list', () => socket.listQdiscs(ifindex))).find((x) => x.handle === handle && x.kind === 'plug');
    if (!q || q.stats.backlogPackets === 0) {
      drained = true;
      break;
    }
    if (Date.now() >= deadline) break;
    await new Promise<void>((resolve) => setTimeout(resolve, drainPollMs));
  }
  const target = record.root ?? { parent, handle };
  await guard('detach', () => socket.deleteQdisc(ifindex, target.parent, target.handle));
  return { drained };
}
