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
