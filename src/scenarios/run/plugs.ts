/**
 * The plug qdiscs of a run, one per (host, dev), attached on first use inside
 * the host's namespace. Every plug is `temporary` (its watchdog releases and
 * detaches it if this process dies) and every freeze carries the step's
 * max_hold (the dead-man release). Teardown releases and detaches them all;
 * deleting the namespaces afterwards would remove them in any case.
 *
 * Operations on one device happen one at a time, in the order the steps ask:
 * under the lab's emulated CPU an attach can take longer than the gap to the
 * next step (a release 500 ms later waits for the plug instead of missing it).
 */
import type { PlugQdisc } from '../../plug/PlugQdisc.js';

export interface PlugOptions {
  match: string | null;
  maxHoldMs: number;
  limitBytes: number | null;
}

export type PlugChange = 'buffering' | 'pass-through' | 'release-one' | 'detached';

export class RunPlugs {
  private readonly plugs = new Map<string, PlugQdisc>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly netnsOf: (host: string) => string,
    private readonly onChange: (host: string, dev: string, state: PlugChange, match: string | null) => void,
  ) {}

  /** Run `fn` after every earlier operation on the same device has settled. */
  private serial<T>(host: string, dev: string, fn: () => Promise<T>): Promise<T> {
    const key = `${host}/${dev}`;
    const next = (this.queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.queues.set(key, next);
    return next;
  }

  private async attach(host: string, dev: string, options: Omit<PlugOptions, 'maxHoldMs'>): Promise<PlugQdisc> {
    const key = `${host}/${dev}`;
    const current = this.plugs.get(key);
    if (current && current.match === options.match && current.limitBytes === options.limitBytes) return current;
    if (current) {
      // A different match or limit: a new layout.
      await current.releaseIndefinite();
      await current.detach();
      this.plugs.delete(key);
    }
    // Loaded here, not at import: validating a scenario must work without the addon.
    const { PlugQdisc } = await import('../../plug/PlugQdisc.js');
    const plug = await PlugQdisc.attach({ dev, netns: this.netnsOf(host), match: options.match ?? undefined, limitBytes: options.limitBytes ?? undefined, temporary: true });
    this.plugs.set(key, plug);
    return plug;
  }

  /**
   * Attach a plug in pass-through before the timeline starts, so that the
   * step that freezes it at time T only has to buffer (an attach, with its
   * filters and watchdog, takes hundreds of ms under the lab's emulated CPU).
   */
  prepare(host: string, dev: string, options: Omit<PlugOptions, 'maxHoldMs'>): Promise<void> {
    return this.serial(host, dev, async () => {
      await this.attach(host, dev, options);
    });
  }

  plug(host: string, dev: string, options: PlugOptions): Promise<void> {
    return this.serial(host, dev, async () => {
      const plug = await this.attach(host, dev, options);
      await plug.buffer({ maxHold: options.maxHoldMs });
      this.onChange(host, dev, 'buffering', plug.match);
    });
  }

  release(host: string, dev: string): Promise<void> {
    return this.serial(host, dev, async () => {
      const plug = this.plugs.get(`${host}/${dev}`);
      // Nothing was ever plugged there: nothing is held.
      if (!plug) return;
      await plug.releaseIndefinite();
      this.onChange(host, dev, 'pass-through', plug.match);
    });
  }

  releaseOne(host: string, dev: string): Promise<void> {
    return this.serial(host, dev, async () => {
      const plug = this.plugs.get(`${host}/${dev}`);
      if (!plug) throw new Error(`release_one on ${host}/${dev}: nothing was plugged there`);
      await plug.releaseOne();
      this.onChange(host, dev, 'release-one', plug.match);
    });
  }

  /** Release and detach everything; returns one line per problem (never throws). */
  async teardown(): Promise<string[]> {
    // An operation still in flight (an attach when the run was interrupted) finishes first.
    await Promise.allSettled([...this.queues.values()]);
    const problems: string[] = [];
    for (const [key, plug] of this.plugs) {
      const [host = '', dev = ''] = key.split('/');
      try {
        await plug.releaseIndefinite();
      } catch (error) {
        problems.push(`release of ${key} at teardown: ${(error as Error).message}`);
      }
      try {
        await plug.detach({ drainTimeoutMs: 1000 });
        this.onChange(host, dev, 'detached', plug.match);
      } catch (error) {
        plug.close();
        problems.push(`detach of ${key} at teardown: ${(error as Error).message}`);
      }
    }
    this.plugs.clear();
    return problems;
  }
}
