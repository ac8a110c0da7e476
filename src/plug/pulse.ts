/**
 * `qplug pulse`: freeze, hold, release — and measure what really happened:
 * the actual hold (from the kernel's ack of the freeze to its ack of the
 * release) and how many packets the release let go.
 */
import { PlugQdisc, type AttachOptions } from './PlugQdisc.js';
import { isQplugError, UsageError } from '../errors.js';
import { toMilliseconds } from './units.js';

export interface PulseOptions extends AttachOptions {
  /** How long to hold: ms or a duration such as "250ms". */
  hold: number | string;
  /** Dead-man release for this freeze (default: the larger of 2 × hold and 60 s; null opts out). */
  maxHold?: number | string | null;
  force?: boolean;
  /** Called once the freeze is in place. */
  onFrozen?: () => void;
}

export interface PulseResult {
  dev: string;
  netns: string | null;
  match: string | null;
  holdMs: number;
  actualHoldMs: number;
  releasedPackets: number;
  releasedBytes: number;
  drops: number;
  /** Whether pulse attached the plug itself (and detached it after). */
  attached: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function pulse(options: PulseOptions): Promise<PulseResult> {
  const holdMs = toMilliseconds(options.hold, 'hold');
  let plug: PlugQdisc;
  let attached = false;
  try {
    plug = await PlugQdisc.open({ dev: options.dev, netns: options.netns });
    if (options.match !== undefined && plug.match !== options.match) {
      // An existing plug freezes what it was attached for; say so rather than surprise.
      plug.close();
      throw new UsageError(`${options.dev} already has a plug${plug.match ? ` matching '${plug.match}'` : ' freezing everything'}: detach it first to pulse with --match '${options.match}'`);
    }
  } catch (error) {
    if (!isQplugError(error) || error.code !== 'E_NOT_ATTACHED') throw error;
    plug = await PlugQdisc.attach({ ...options, temporary: true });
    attached = true;
  }
  try {
    const before = await plug.status();
    const maxHold = options.maxHold === undefined ? Math.max(holdMs * 2, 60_000) : options.maxHold;
    await plug.buffer({ force: options.force, maxHold });
    const frozenAt = performance.now();
    options.onFrozen?.();
    await sleep(holdMs);
    const held = await plug.status();
    await plug.releaseIndefinite();
    const actualHoldMs = performance.now() - frozenAt;
    return {
      dev: plug.dev,
      netns: plug.netns,
      match: plug.match,
      holdMs,
      actualHoldMs: Math.round(actualHoldMs * 1000) / 1000,
      releasedPackets: held.backlog.packets,
      releasedBytes: held.backlog.bytes,
      drops: held.drops - before.drops,
      attached,
    };
  } finally {
    if (attached) await plug.detach().catch(() => plug.close());
    else plug.close();
  }
}
