/**
 * Hand-written types of the native addon (build/Release/qplug_native.node).
 * Only src/native/loadNative.ts loads it; everything else imports these types.
 */

/** Queueing discipline statistics, as the kernel reports them (TCA_STATS2). */
export interface NativeQdiscStats {
  bytes: number;
  packets: number;
  backlogBytes: number;
  backlogPackets: number;
  drops: number;
  overlimits: number;
  requeues: number;
}

export interface NativeQdisc {
  ifindex: number;
  /** Device name, resolved in the socket's namespace. */
  dev: string;
  kind: string;
  /** u32 handle, major in the upper 16 bits (1: is 0x00010000). */
  handle: number;
  /** u32 parent; 0xffffffff is root. */
  parent: number;
  stats: NativeQdiscStats;
}

export interface NativeLink {
  ifindex: number;
  name: string;
  /** IFF_UP */
  up: boolean;
  mtu: number;
  txQueueLen: number;
}

export type NativePlugAction = 'buffer' | 'release_one' | 'release_indefinite' | 'limit';

/**
 * One u32 key, as tc builds them: the 32-bit word at `offset`, ANDed with
 * `mask`, must equal `value`. value and mask in host order (0x00060000 is
 * tc's `match 00060000/00ff0000`); libnl sends them in network order.
 */
export interface NativeU32Key {
  value: number;
  mask: number;
  /** Bytes from the network (IP) header; a multiple of 4 in [-65536, 65532]. */
  offset: number;
}

export interface NativeU32FilterOptions {
  /** tc's pref, 1..65535: lower is tried first. */
  priority: number;
  /** Ethertype in host order, 1..0xffff (0x0800 IPv4, 0x86dd IPv6, 0x0003 all). */
  protocol: number;
  /** ANDed, at most 128. Empty matches every packet of the protocol (tc's `match u32 0 0`). */
  keys: NativeU32Key[];
  /** Class (e.g. a prio band, 0x10003 for 1:3) that matching packets go to; terminal. */
  classid: number;
  /**
   * u32 node handle; omitted or 0 lets the kernel pick one. A node id alone
   * (5) lands in the priority's own table (800::5).
   */
  handle?: number;
}

/**
 * One element of a filter dump, like a line of `tc filter show`: per priority a
 * head with handle 0, and for u32 its hash table (e.g. handle 0x80000000) and
 * each key node (0x80000800...), the only elements with a classid.
 */
export interface NativeFilter {
  kind: string;
  priority: number;
  /** Ethertype in host order. */
  protocol: number;
  handle: number;
  /** A u32 node's target class; null for other elements and other kinds. */
  classid: number | null;
}

/**
 * One rtnetlink socket, opened in one network namespace for its whole life.
 * Async methods run one request each off the event loop; calls on one socket
 * are serialised and reach the kernel in the order they were made
 * (changePlugSync included: it waits for the calls made before it).
 */
export interface NativeRouteSocket {
  /** Path of the namespace given at construction, or null for the caller's. */
  readonly netns: string | null;
  /** Inode number of the namespace the socket lives in (stable key). */
  readonly netnsInode: number;
  getLink(dev: string | number): Promise<NativeLink>;
  listLinks(): Promise<NativeLink[]>;
  /** ifindex 0 lists the qdiscs of every device. */
  listQdiscs(ifindex: number): Promise<NativeQdisc[]>;
  /**
   * Create a plug qdisc (NLM_F_CREATE|NLM_F_EXCL). handle 0 lets the kernel
   * pick one; limitBytes 0 leaves the kernel default (tx_queue_len * mtu).
   */
  addPlug(ifindex: number, parent: number, handle: number, limitBytes: number): Promise<void>;
  /** One RTM_NEWQDISC change carrying a tc_plug_qopt. limitBytes is used by 'limit'. */
  changePlug(ifindex: number, parent: number, handle: number, action: NativePlugAction, limitBytes: number): Promise<void>;
  /** Same as changePlug, on the calling thread: one netlink round trip. */
  changePlugSync(ifindex: number, parent: number, handle: number, action: NativePlugAction, limitBytes: number): void;
  deleteQdisc(ifindex: number, parent: number, handle: number): Promise<void>;
  /**
   * Create a prio qdisc (NLM_F_CREATE|NLM_F_EXCL) with 2..16 bands and a
   * 16-entry priomap of bands (each < bands). Band n is class major:n+1.
   */
  addPrio(ifindex: number, parent: number, handle: number, bands: number, priomap: number[]): Promise<void>;
  /**
   * Add a u32 filter to the qdisc or class `parent` (NLM_F_CREATE|NLM_F_EXCL:
   * a full handle in use, e.g. 0x80000800, is refused with EEXIST; without a
   * handle each call adds another node).
   */
  addU32Filter(ifindex: number, parent: number, options: NativeU32FilterOptions): Promise<void>;
  /** Dump the filters attached to `parent`; a parent that is not there has none. */
  listFilters(ifindex: number, parent: number): Promise<NativeFilter[]>;
  /**
   * Delete the u32 filter at priority 1..65535, all its nodes; protocol 0
   * matches any. ENOENT when there is none, EINVAL if it is of another kind.
   */
  deleteFilters(ifindex: number, parent: number, priority: number, protocol: number): Promise<void>;
  /**
   * Idempotent. Waits for the call in flight, not for queued ones: those and
   * all later calls reject (changePlugSync: throws) with code ECLOSED.
   */
  close(): void;
}

export interface NativeRouteSocketOptions {
  /** A path to a network namespace file (/run/netns/NAME, /proc/PID/ns/net). */
  netns?: string;
}

export interface NativeAddon {
  RouteSocket: new (options?: NativeRouteSocketOptions) => NativeRouteSocket;
  /** libnl version the addon was built against, e.g. "3.7.0". */
  libnlVersion: string;
}

/**
 * Shape of errors thrown or rejected by the addon. `code` is the errno name
 * (EPERM, ENODEV, ENOENT...) or ECLOSED; `call` names the libnl/system call.
 */
export interface NativeErrorFields {
  code: string;
  errno: number;
  call: string;
  /** The kernel's extended-ack message, when it sent one. */
  kernelMessage?: string;
}
