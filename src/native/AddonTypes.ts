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

// ---------------------------------------------------------------------------
// The proxy engine (native/splice/): accept, balance, connect and relay on its
// own epoll threads. JS (src/proxy/) owns configuration, health checks, the
// runtime API and reloads; it drives the engine through this interface.
// ---------------------------------------------------------------------------

export interface NativeEngineServerSpec {
  name: string;
  /** IPv4 or IPv6 literal. */
  host: string;
  port: number;
  /** 1..256; 0 takes the server out of balancing without disabling it. */
  weight: number;
  /** Concurrent connections; 0 = unlimited. Beyond it, connections wait in the backend queue. */
  maxconn: number;
}

export interface NativeEngineBackendSpec {
  name: string;
  balance: 'roundrobin' | 'leastconn';
  /** Relay with splice(2) when the frontend enables it too. */
  splice: boolean;
  /** Extra connect attempts after the first failed one. */
  retries: number;
  /** The last retry (and each one after a failure) goes to another server when true. */
  redispatch: boolean;
  connectTimeoutMs: number;
  /** Inactivity timeout on the server side; 0 = none. */
  serverTimeoutMs: number;
  /** Longest wait in the backend queue when every server is at maxconn; 0 = connectTimeoutMs. */
  queueTimeoutMs: number;
  servers: NativeEngineServerSpec[];
}

export interface NativeEngineFrontendSpec {
  name: string;
  /** Address to bind (IPv4 or IPv6 literal); ignored when fd is given. */
  host: string;
  /** 0 = ephemeral (see the port addFrontend returns). */
  port: number;
  /** Adopt this listening socket (dup'ed) instead of binding one: reload handoff. */
  fd?: number;
  /** Bind with SO_REUSEPORT so another process can bind the same address. */
  reusePort?: boolean;
  /** listen(2) backlog. */
  backlog: number;
  /** Concurrent client connections; 0 = unlimited. At maxconn the engine stops accepting (the kernel's accept queue fills). */
  maxconn: number;
  /** Inactivity timeout on the client side; 0 = none. */
  clientTimeoutMs: number;
  splice: boolean;
  backend: string;
}

export interface NativeEngineOptions {
  /** Worker threads, each with its own epoll; every listener is shared (EPOLLEXCLUSIVE). >= 1. */
  threads: number;
  /** Copy-path buffer size in bytes (e.g. 16384..1048576). */
  bufferSize: number;
  /** Copy-path buffer budget, in buffers: the pool never holds more than bufferSize * poolBuffers bytes. */
  poolBuffers: number;
  /** F_SETPIPE_SZ for splice pipes; 0 keeps the kernel default (64 KiB). */
  pipeSize: number;
  /** Idle pipe pairs kept for reuse. */
  maxIdlePipes: number;
  /** Batched connection events; called on the JS thread at most every eventIntervalMs. Omit to get none (no per-connection cost). */
  onEvents?: (events: NativeEngineEvent[]) => void;
  eventIntervalMs?: number;
}

export type NativeEngineCloseResult =
  | 'ok' // both sides closed cleanly (FIN each way, everything relayed)
  | 'client-timeout'
  | 'server-timeout'
  | 'connect-timeout'
  | 'connect-failed' // every attempt refused/unreachable
  | 'queue-timeout'
  | 'no-server' // no usable server in the backend
  | 'client-reset'
  | 'server-reset'
  | 'error' // any other errno on either side
  | 'stopped'; // aborted by stop() after the grace period

export interface NativeEngineEvent {
  type: 'close';
  /** Unique per engine. */
  id: number;
  frontend: string;
  backend: string;
  /** Last server tried; null when none was. */
  server: string | null;
  path: 'splice' | 'copy' | null;
  /** Client to server. */
  bytesIn: number;
  /** Server to client. */
  bytesOut: number;
  connectAttempts: number;
  queuedMs: number;
  durationMs: number;
  result: NativeEngineCloseResult;
  /** errno name (ECONNREFUSED...) when result is an error. */
  errorCode?: string;
}

export interface NativeEngineServerStats {
  name: string;
  host: string;
  port: number;
  weight: number;
  maxconn: number;
  /** As set by setServer(): false = takes no new connections (maintenance, drain, health down). */
  enabled: boolean;
  current: number;
  peak: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  connectErrors: number;
}

export interface NativeEngineStats {
  uptimeMs: number;
  threads: number;
  connections: { current: number; splice: number; copy: number; total: number };
  frontends: Array<{
    name: string;
    host: string;
    port: number;
    /** False after closeListeners() or while paused. */
    listening: boolean;
    current: number;
    peak: number;
    total: number;
    bytesIn: number;
    bytesOut: number;
  }>;
  backends: Array<{
    name: string;
    current: number;
    total: number;
    bytesIn: number;
    bytesOut: number;
    connectErrors: number;
    retries: number;
    redispatches: number;
    queue: { current: number; peak: number; total: number; timeouts: number };
    servers: NativeEngineServerStats[];
  }>;
  /** The copy path's bounded buffer pool. */
  pool: {
    bufferSize: number;
    buffers: number;
    free: number;
    inUse: number;
    peakInUse: number;
    /** Connections waiting for a buffer right now (counted per direction). */
    waiting: number;
    /** Times a connection had to wait for a buffer. */
    waits: number;
  };
  /** Splice pipes (one per direction in use; a pipe is an fd pair). */
  pipes: { inUse: number; idle: number; created: number };
  /** Results of closed connections, by NativeEngineCloseResult. */
  results: Record<string, number>;
}

export interface NativeProxyEngine {
  /**
   * Before start() only. Throws TypeError on a bad spec (RangeError for a value out of range, e.g. a
   * host that is not an IP literal), an Error with code EINVAL on a duplicate name or after start().
   */
  addBackend(spec: NativeEngineBackendSpec): void;
  /**
   * Binds and listens now (or adopts spec.fd); any time, also after start(). Throws with code/errno/call
   * (EADDRINUSE, bind), ENOENT for an unknown backend, EINVAL for a duplicate name.
   */
  addFrontend(spec: NativeEngineFrontendSpec): { fd: number; host: string; port: number };
  /**
   * Starts the worker threads. Like a listening net.Server, a started engine keeps the Node event
   * loop alive until stop() resolves. Throws code EINVAL when started already.
   */
  start(): void;
  /** Operational state, effective immediately for new connections. Throws (code ENOENT) for an unknown backend/server. */
  setServer(backend: string, server: string, change: { enabled?: boolean; weight?: number }): void;
  stats(): NativeEngineStats;
  /** Stop/resume accepting; connections wait in the kernel's accept queue meanwhile. */
  pauseListeners(): void;
  resumeListeners(): void;
  /** Close every listening socket now (connections still in their accept queues are reset by the kernel). */
  closeListeners(): void;
  /** The listening sockets, for passing to another process (SCM_RIGHTS). Valid until closeListeners()/stop(). */
  listenerFds(): Array<{ frontend: string; fd: number }>;
  /**
   * Close the listeners, let established connections finish for up to graceMs,
   * then abort the rest (result 'stopped'), join the threads and free every fd
   * and pipe. Resolves when done (after the last onEvents batch); idempotent: a
   * second call returns the same promise. Afterwards stats() still works,
   * addBackend/addFrontend/start throw code ECLOSED, the listener calls do nothing.
   */
  stop(graceMs: number): Promise<void>;
}

export interface NativeAddon {
  RouteSocket: new (options?: NativeRouteSocketOptions) => NativeRouteSocket;
  ProxyEngine: new (options: NativeEngineOptions) => NativeProxyEngine;
  /** SCM_RIGHTS over a unix socket (native/splice/fd_passing.cpp); see "Passing file descriptors" below. */
  sendFds: NativeSendFds;
  receiveFds: NativeReceiveFds;
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

// ---------------------------------------------------------------------------
// Passing file descriptors (native/splice/fd_passing.cpp): SCM_RIGHTS plus a
// JSON payload over a unix stream socket. The reload handoff gives the old
// worker's listening sockets to the new one. Errors carry code/errno/call
// (ETIMEDOUT, ENOENT from connect, EADDRINUSE from bind...); bad arguments throw
// TypeError/RangeError synchronously.
// ---------------------------------------------------------------------------

/**
 * Dups `fds` now (the caller may close its own at once), then off the JS thread
 * connects to `path`, sends them (at most 253) with `payload` (at most 64 KiB)
 * and resolves once the receiver acknowledged: it holds its own copies then.
 * Every wait is bounded by timeoutMs (1..600000).
 */
export type NativeSendFds = (path: string, fds: number[], payload: string, timeoutMs: number) => Promise<void>;

/**
 * Binds and listens on `path` (mode 0600) before it returns, so a sender may
 * connect as soon as it has; then accepts one peer running as the same user,
 * reads one message, acknowledges it and resolves. The fds are new descriptors
 * (close-on-exec) that the caller owns and must close. The socket file is
 * removed either way. Rejects with ETIMEDOUT when nobody sends within timeoutMs.
 */
export type NativeReceiveFds = (path: string, timeoutMs: number) => Promise<{ fds: number[]; payload: string }>;
