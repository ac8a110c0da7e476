/**
 * Plug windows from plug events, for a run's result and for the report: a
 * device's window opens at `buffering` and ends at `pass-through` or
 * `detached`; a `release-one` inside it does not end it.
 */
import type { PlugWindow } from './events.js';
import type { PlugChange } from './plugs.js';

export class PlugWindows {
  private readonly list: { host: string; dev: string; match: string | null; fromMs: number; toMs: number | null }[] = [];

  add(e: { readonly host: string; readonly dev: string; readonly state: PlugChange; readonly match: string | null; readonly atMs: number }): void {
    const open = this.list.find((w) => w.host === e.host && w.dev === e.dev && w.toMs === null);
    if (e.state === 'buffering' && !open) this.list.push({ host: e.host, dev: e.dev, match: e.match, fromMs: e.atMs, toMs: null });
    else if ((e.state === 'pass-through' || e.state === 'detached') && open) open.toMs = e.atMs;
  }

  /** In the order they opened; `toMs` null: still held. */
  windows(): PlugWindow[] {
    return this.list.map((w) => ({ ...w }));
  }
}
