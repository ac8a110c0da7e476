/**
 * A plug qdisc on one device: attach, freeze (buffer), release, detach.
 * This is the library API and what the CLI commands call; it knows nothing of yargs.
 */
import { NotFoundError, StateError, UsageError } from '../errors.js';
import type { NativePlugAction, NativeQdisc, NativeRouteSocket } from '../native/AddonTypes.js';
import { assertQdiscHandle, formatHandle, parseHandle, TC_H_ROOT } from './handles.js';
import { resolveNetns, type NetnsRef } from './netns.js';
import { listRecords, readRecord, removeRecord, writeRecord, type PlugRecord, type PlugState } from './state.js';
import type { PlugOperation } from './translate.js';
import { parseSize, toMilliseconds } from './units.js';
import { assertNotDefaultRoute } from './guard.js';
import { compileMatch } from './match.js';
import { buildLayout, checkAttachPoint, removeLayout } from './attach.js';
import { call, checkDev, openSocket } from './socket.js';
import { ensureWatchdog } from './watchdog.js';

/** The dead-man default: no freeze outlives this unless asked. */
export const DEFAULT_MAX_HOLD_MS = 60_000;

export interface DeviceOptions {
  /** Network device name, e.g. "eth0" or "v0". */
  dev: string;
  /** Namespace name (/run/netns/NAME) or path (/proc/PID/ns/net); the current one when omitted. */
  netns?: string | null;
}

export interface AttachOptions extends DeviceOptions {
  /** "root" (default) or a class such as "1:10". */
  parent?: string | number;
  /** Handle for the plug qdisc ("51:"); the kernel picks one when omitted. */
  handle?: string | number;
  /** Bytes the plug may hold before it drops; the kernel default (tx_queue_len * MTU) when omitted. */
  limitBytes?: number | string;
  /** Freeze only matching packets, e.g. "tcp dport 8080 syn"; the rest flow. */
  match?: string;
  /**
   * A temporary plug owned by this process: if the process dies, the
   * watchdog releases and detaches it.
   */
  temporary?: boolean;
}

export interface BufferOptions {
  /** Freeze even the device carrying the initial namespace's default route. */
  force?: boolean;
  /**
   * Dead-man release: a watchdog process releases the freeze after this long,
   * even if this process is killed. Milliseconds or a duration ("2s");
   * default 60 s; null opts out.
   */
  maxHold?: number | string | null;
}

/** What `qplug status --json` prints for each plug qdisc. */
export interface PlugStatus {
  dev: string;
  netns: string | null;
  handle: string;
  parent: string;
  /** "unknown" when the plug was not made by qplug (the kernel cannot tell). */
  state: PlugState | 'unknown';
  /** Bytes, or null for the kernel default. */
  limit: number | null;
  /** ISO time the current state was set, when known. */
  since: string | null;
  backlog: { packets: number; bytes: number };
  sent: { packets: number; bytes: number };
  drops: number;
  overlimits: number;
  /** Whether qplug made this plug (and so knows its state). */
  recorded: boolean;
  /** Selective plug: what it freezes; null freezes everything. */
  match: string | null;
  /** ISO time the watchdog releases the current freeze, or null. */
  deadline: string | null;
}

function toHandle(value: string | number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new UsageError(`invalid ${what} ${value}: expected a u32 tc handle`);
    return value;
  }
  return parseHandle(value, what);
}

function statusOf(q: NativeQdisc, record: PlugRecord | null, ref: NetnsRef): PlugStatus {
  return {
    dev: q.dev,
    netns: ref.label,
    handle: formatHandle(q.handle),
    parent: formatHandle(q.parent),
    state: record ? record.state : 'unknown',
    limit: record ? record.limitBytes : null,
    since: record ? new Date(record.since).toISOString() : null,
    backlog: { packets: q.stats.backlogPackets, bytes: q.stats.backlogBytes },
    sent: { packets: q.stats.packets, bytes: q.stats.bytes },
    drops: q.stats.drops,
    overlimits: q.stats.overlimits,
    recorded: record !== null,
    match: record?.match ?? null,
    deadline: record && record.state === 'buffering' && typeof record.deadline === 'number' ? new Date(record.deadline).toISOString() : null,
  };
}

export class PlugQdisc {
  private closed = false;

  private constructor(
    private readonly socket: NativeRouteSocket,
    private readonly ref: NetnsRef,
    private record: PlugRecord,
  ) {}

  get dev(): string { return this.record.dev; }
  get ifindex(): number { return this.record.ifindex; }
  get netns(): string | null { return this.ref.label; }
  get handle(): number { return this.record.handle; }
  get parent(): number { return this.record.parent; }
  get state(): PlugState { return this.record.state; }
  get limitBytes(): number | null { return this.record.limitBytes; }
  /** Selective plug: the normalised match expression; null freezes everything. */
  get match(): string | null { return this.record.match ?? null; }
  /** When the watchdog releases the current freeze (ms since the epoch), or null. */
  get deadline(): number | null { return this.record.state === 'buffering' ? (this.record.deadline ?? null) : null; }
  /** When the current state was set (ms since the epoch). */
  get since(): number { return this.record.since; }

  /**
   * Attach a plug qdisc in pass-through state: attaching never freezes anything.
   * Refuses to replace a qdisc it could not put back exactly on detach.
   */
  static async attach(options: AttachOptions): Promise<PlugQdisc> {
    const dev = checkDev(options.dev);
    const parent = toHandle(options.parent, TC_H_ROOT, 'parent');
    const handle = toHandle(options.handle, 0, 'handle');
    if (handle !== 0) assertQdiscHandle(handle, String(options.handle));
    const limitBytes = options.limitBytes === undefined ? null : parseSize(options.limitBytes, 'limit');
    if (limitBytes === 0) throw new UsageError('invalid limit 0: the plug could hold nothing; omit --limit for the kernel default');
    const match = options.match === undefined || options.match === null ? null : compileMatch(options.match);
    const ref = resolveNetns(options.netns);
    const socket = openSocket(ref);
    const ctx = { dev, ref };
    try {
      const link = await call('attach', ctx, () => socket.getLink(dev));
      const before = await call('list', ctx, () => socket.listQdiscs(link.ifindex));
      const current = checkAttachPoint(dev, parent, before);
      const layout = await buildLayout({ socket, ref, dev, ifindex: link.ifindex, parent, handle, limitBytes, match }, current);
      const now = Date.now();
      const record: PlugRecord = {
        version: 1,
        dev,
        ifindex: link.ifindex,
        netns: ref.label,
        netnsInode: socket.netnsInode,
        handle: layout.handle,
        parent: layout.parent,
        state: 'pass-through',
        limitBytes,
        since: now,
        attachedAt: now,
        previous: layout.previous,
        pid: process.pid,
        deadline: null,
        watchdogPid: null,
        match: match?.text ?? null,
        root: layout.root,
        ownerPid: options.temporary ? process.pid : null,
      };
      writeRecord(record);
      const plug = new PlugQdisc(socket, ref, record);
      if (options.temporary) plug.save({ watchdogPid: ensureWatchdog(record) });
      return plug;
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Open the plug qdisc already attached to a device (by qplug or by tc). */
  static async open(options: DeviceOptions): Promise<PlugQdisc> {
    const dev = checkDev(options.dev);
    const ref = resolveNetns(options.netns);
    const socket = openSocket(ref);
    const ctx = { dev, ref };
    try {
      const link = await call('open', ctx, () => socket.getLink(dev));
      const qdiscs = await call('list', ctx, () => socket.listQdiscs(link.ifindex));
      const record = readRecord(socket.netnsInode, link.ifindex);
      const plug = record
        ? qdiscs.find((q) => q.kind === 'plug' && q.handle === record.handle && q.parent === record.parent)
        : qdiscs.find((q) => q.kind === 'plug');
      if (!plug) {
        if (record) removeRecord(socket.netnsInode, link.ifindex);
        throw new NotFoundError('E_NOT_ATTACHED', `${dev} has no plug qdisc${ref.label ? ` in network namespace '${ref.label}'` : ''}: attach one first with \`qplug attach ${dev}\``);
      }
      const adopted: PlugRecord = record ?? {
        version: 1,
        dev,
        ifindex: link.ifindex,
        netns: ref.label,
        netnsInode: socket.netnsInode,
        handle: plug.handle,
        parent: plug.parent,
        // Not made by qplug: the kernel cannot tell its state; the first change sets it.
        state: 'buffering',
        limitBytes: null,
        since: Date.now(),
        attachedAt: Date.now(),
        previous: null,
        pid: process.pid,
      };
      return new PlugQdisc(socket, ref, adopted);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Every plug qdisc in a namespace (optionally on one device), with recorded state and live stats. */
  static async list(options: { dev?: string; netns?: string | null } = {}): Promise<PlugStatus[]> {
    const ref = resolveNetns(options.netns);
    const socket = openSocket(ref);
    const dev = options.dev === undefined ? undefined : checkDev(options.dev);
    try {
      const ifindex = dev === undefined ? 0 : (await call('list', { dev, ref }, () => socket.getLink(dev))).ifindex;
      const qdiscs = (await call('list', { dev, ref }, () => socket.listQdiscs(ifindex))).filter((q) => q.kind === 'plug');
      const records = listRecords().filter((r) => r.netnsInode === socket.netnsInode && (ifindex === 0 || r.ifindex === ifindex));
      for (const r of records) {
        // Stale: the device or the plug went away without qplug.
        if (!qdiscs.some((q) => q.ifindex === r.ifindex && q.handle === r.handle)) removeRecord(r.netnsInode, r.ifindex);
      }
      return qdiscs.map((q) => statusOf(q, records.find((r) => r.ifindex === q.ifindex && r.handle === q.handle) ?? null, ref));
    } finally {
      socket.close();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StateError('E_ALREADY_ATTACHED', `the PlugQdisc object for ${this.dev} is closed`);
  }

  private async change(op: PlugOperation & NativePlugAction, limitBytes = 0): Promise<void> {
    this.assertOpen();
    const { ifindex, parent, handle } = this.record;
    await call(op, { dev: this.dev, ref: this.ref }, () => this.socket.changePlug(ifindex, parent, handle, op, limitBytes));
  }

  /** @internal */
  save(patch: Partial<PlugRecord>): void {
    this.record = { ...this.record, ...patch, pid: process.pid };
    writeRecord(this.record);
  }

  /** Freeze: hold every packet from now on (also starts a new epoch for releaseOne). */
  async buffer(options: BufferOptions = {}): Promise<void> {
    assertNotDefaultRoute(this.dev, this.socket.netnsInode, options.force ?? false);
    const maxHoldMs = options.maxHold === null ? null : toMilliseconds(options.maxHold ?? DEFAULT_MAX_HOLD_MS, 'max hold');
    if (maxHoldMs === 0) throw new UsageError('invalid max hold 0: the freeze would be released at once; use --max-hold none to opt out of the dead-man release');
    const wasBuffering = this.record.state === 'buffering';
    // The deadline is on record before the kernel freezes anything.
    const now = Date.now();
    const deadline = maxHoldMs === null ? null : now + maxHoldMs;
    const next: PlugRecord = { ...this.record, state: 'buffering', since: wasBuffering ? this.record.since : now, deadline, releasedBy: null };
    // Spawned before the write; a new watchdog's first read comes long after it.
    if (deadline !== null) next.watchdogPid = ensureWatchdog(next);
    this.save(next);
    try {
      await this.change('buffer');
    } catch (error) {
      if (!wasBuffering) this.save({ state: 'pass-through', deadline: null });
      throw error;
    }
  }

  /**
   * sch_plug's release_one: release the packets held before the last buffer()
   * mark; those held since then stay. State stays buffering.
   */
  async releaseOne(): Promise<void> {
    await this.change('release_one');
    this.save({ state: 'buffering' });
  }

  /** Release everything held and pass traffic through until the next buffer(). */
  async releaseIndefinite(): Promise<void> {
    await this.change('release_indefinite');
    this.save({ state: 'pass-through', since: this.record.state === 'pass-through' ? this.record.since : Date.now(), deadline: null, releasedBy: null });
  }

  async setLimit(bytes: number | string): Promise<void> {
    const limit = parseSize(bytes, 'limit');
    if (limit === 0) throw new UsageError('invalid limit 0: the plug could hold nothing');
    await this.change('limit', limit);
    this.save({ limitBytes: limit });
  }

  async status(): Promise<PlugStatus> {
    const qdiscs = await call('list', { dev: this.dev, ref: this.ref }, () => this.socket.listQdiscs(this.ifindex));
    const q = qdiscs.find((x) => x.kind === 'plug' && x.handle === this.handle && x.parent === this.parent);
    if (!q) throw new NotFoundError('E_NOT_ATTACHED', `the plug qdisc on ${this.dev} is gone: attach it again with \`qplug attach ${this.dev}\``);
    return statusOf(q, this.record, this.ref);
  }

  /**
   * Release everything, let the queue drain, delete the plug: the kernel puts
   * back the default qdisc that was there before attach.
   */
  async detach(options: { drainTimeoutMs?: number } = {}): Promise<{ drained: boolean }> {
    this.assertOpen();
    const ctx = { dev: this.dev, ref: this.ref };
    const { drained } = await removeLayout(this.socket, this.record, {
      drainTimeoutMs: options.drainTimeoutMs ?? 2000,
      guard: (op, fn) => call(op, ctx, fn),
    });
    removeRecord(this.socket.netnsInode, this.ifindex);
    this.close();
    return { drained };
  }

  /** Free the netlink socket; the plug qdisc stays as it is. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

