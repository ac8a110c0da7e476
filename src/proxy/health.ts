/**
 * TCP connect health checks. Each checked server is probed every `interval`
 * (never two probes of one server at once); `rise` consecutive successes bring
 * a down server up, `fall` consecutive failures take an up server down.
 *
 * Servers start UP, as HAProxy's do: a proxy that starts while its servers are
 * fine serves at once, and a dead server is taken out after `fall` checks.
 * The first probe of every server runs right after start().
 *
 * The checker also holds the runtime API's inputs (admin state, injected
 * health) so that one function, effectiveState(), combines everything that
 * decides whether a server takes connections.
 */
import { connect } from 'node:net';
import type { ProxyBackendConfig, ProxyServerConfig } from './configSchema.js';

/** 'none': the server is not checked. */
export type CheckState = 'up' | 'down' | 'none';

export interface ServerHealth {
  readonly backend: string;
  readonly server: string;
  readonly check: CheckState;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** What the last failed probe said ("connect ECONNREFUSED"); null once one succeeds. */
  readonly lastError: string | null;
  /** Probes completed. */
  readonly checks: number;
  /** The effective state last applied to the engine: takes new connections. */
  readonly enabled: boolean;
}

export interface HealthTransition {
  backend: string;
  server: string;
  state: 'up' | 'down';
  /** "connect ECONNREFUSED", "connect ok"... */
  reason: string;
  /** The consecutive successes (up) or failures (down) that decided it. */
  count: number;
  /** "server app/s1 is DOWN: connect ECONNREFUSED (3 failures)" */
  message: string;
}

export type ProbeResult = { ok: true } | { ok: false; error: string };
/** One check. Must settle within about timeoutMs, and promptly once signal aborts. */
export type Probe = (host: string, port: number, timeoutMs: number, signal: AbortSignal) => Promise<ProbeResult>;

export interface HealthCheckerOptions {
  /** Apply a server's effective state (the engine's setServer). */
  setEnabled: (backend: string, server: string, enabled: boolean) => void;
  onTransition?: (transition: HealthTransition) => void;
  /** setEnabled threw; the checker goes on. */
  onError?: (error: unknown) => void;
  /** Replaces the TCP connect probe (tests). */
  probe?: Probe;
}

/** Operational state set through the runtime API: 'maint' takes the server out whatever its health. */
export type AdminState = 'ready' | 'maint';
/** Health set from outside: 'up'/'down' override the checks until 'auto' hands back to them. */
export type InjectedHealth = 'up' | 'down' | 'auto';
/** What the server is, all inputs combined: only 'up' takes new connections. */
export type EffectiveState = 'up' | 'down' | 'maint';

export const ADMIN_STATES: readonly AdminState[] = ['ready', 'maint'];
export const INJECTED_HEALTH: readonly InjectedHealth[] = ['up', 'down', 'auto'];

export interface ServerInputs {
  /** Default 'ready'. */
  admin?: AdminState;
  /** Default 'auto'. */
  injected?: InjectedHealth;
  check: CheckState;
}

/**
 * The one place that decides what a server is: maintenance always wins, then
 * injected health (until 'auto'), then the checks ('none' counts as up).
 */
export function effectiveState({ admin = 'ready', injected = 'auto', check }: ServerInputs): EffectiveState {
  if (admin === 'maint') return 'maint';
  if (injected !== 'auto') return injected;
  return check === 'down' ? 'down' : 'up';
}

/** Whether the server takes new connections (effectiveState() is 'up'). */
export function effectiveEnabled(inputs: ServerInputs): boolean {
  return effectiveState(inputs) === 'up';
}

/** A server's health inputs and what they add up to. */
export interface OperationalState {
  readonly backend: string;
  readonly server: string;
  readonly admin: AdminState;
  readonly injected: InjectedHealth;
  readonly check: CheckState;
  readonly effective: EffectiveState;
  /** The effective state last applied to the engine. */
  readonly enabled: boolean;
}

interface Checked {
  backend: ProxyBackendConfig;
  server: ProxyServerConfig;
  state: { -readonly [K in keyof ServerHealth]: ServerHealth[K] };
  /** Runtime API inputs; kept out of ServerHealth, which is about the checks. */
  admin: AdminState;
  injected: InjectedHealth;
  timer?: NodeJS.Timeout;
  inFlight?: AbortController;
}

export class HealthChecker {
  private readonly servers: Checked[] = [];
  private running = false;

  constructor(
    backends: readonly ProxyBackendConfig[],
    private readonly options: HealthCheckerOptions,
  ) {
    for (const backend of backends) {
      for (const server of backend.servers) {
        const check: CheckState = backend.check && server.check ? 'up' : 'none';
        this.servers.push({
          backend,
          server,
          state: { backend: backend.name, server: server.name, check, consecutiveSuccesses: 0, consecutiveFailures: 0, lastError: null, checks: 0, enabled: true },
          admin: 'ready',
          injected: 'auto',
        });
      }
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const s of this.servers) if (s.state.check !== 'none') this.schedule(s, 0);
  }

  /** Clears every timer and aborts probes in flight; their results are ignored. */
  stop(): void {
    this.running = false;
    for (const s of this.servers) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.inFlight?.abort();
      s.inFlight = undefined;
    }
  }

  snapshot(): ServerHealth[] {
    return this.servers.map((s) => ({ ...s.state }));
  }

  get(backend: string, server: string): ServerHealth | undefined {
    const found = this.find(backend, server);
    return found && { ...found.state };
  }

  operational(): OperationalState[] {
    return this.servers.map((s) => {
      const { backend, server, check, enabled } = s.state;
      return { backend, server, admin: s.admin, injected: s.injected, check, effective: effectiveState({ admin: s.admin, injected: s.injected, check }), enabled };
    });
  }

  /**
   * Change the runtime API inputs of one server and apply the result to the
   * engine now. Throws what setEnabled throws (the inputs stay changed; the
   * next change or transition applies them again). False for an unknown server.
   */
  setInputs(backend: string, server: string, inputs: { admin?: AdminState; injected?: InjectedHealth }): boolean {
    const s = this.find(backend, server);
    if (!s) return false;
    if (inputs.admin !== undefined) s.admin = inputs.admin;
    if (inputs.injected !== undefined) s.injected = inputs.injected;
    this.applyEffective(s, true);
    return true;
  }

  /**
   * Before start(): carry a check result over from another process (a reload),
   * so a server that was DOWN stays out until `rise` checks succeed. Ignored for
   * servers that are not checked here.
   */
  restoreCheck(backend: string, server: string, check: 'up' | 'down'): void {
    const s = this.find(backend, server);
    if (!s || s.state.check === 'none') return;
    s.state.check = check;
    this.applyEffective(s);
  }

  private find(backend: string, server: string): Checked | undefined {
    return this.servers.find((s) => s.state.backend === backend && s.state.server === server);
  }

  private schedule(s: Checked, delayMs: number): void {
    s.timer = setTimeout(() => void this.probeOnce(s), delayMs);
    s.timer.unref();
  }

  private async probeOnce(s: Checked): Promise<void> {
    s.timer = undefined;
    if (!this.running || s.inFlight) return;
    const check = s.backend.check;
    if (!check) return;
    const abort = new AbortController();
    s.inFlight = abort;
    const started = Date.now();
    const result = await this.probeWithTimeout(s.server, check.timeoutMs, abort);
    // stop() came meanwhile: it cleared inFlight and wants nothing recorded.
    if (s.inFlight !== abort || !this.running) return;
    s.inFlight = undefined;
    this.record(s, result);
    this.schedule(s, Math.max(0, check.intervalMs - (Date.now() - started)));
  }

  /** The probe's answer, or a failure once timeoutMs has passed (a stuck probe is aborted). */
  private async probeWithTimeout(server: ProxyServerConfig, timeoutMs: number, abort: AbortController): Promise<ProbeResult> {
    const probe = this.options.probe ?? tcpProbe;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `connect timeout after ${timeoutMs}ms` }), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([probe(server.host, server.port, timeoutMs, abort.signal), timedOut]);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
      // Ends a probe that lost the race (its socket, its timers).
      abort.abort();
    }
  }

  private record(s: Checked, result: ProbeResult): void {
    const check = s.backend.check;
    if (!check) return;
    const st = s.state;
    st.checks++;
    if (result.ok) {
      st.consecutiveSuccesses++;
      st.consecutiveFailures = 0;
      st.lastError = null;
      if (st.check === 'down' && st.consecutiveSuccesses >= check.rise) this.transition(s, 'up', 'connect ok', st.consecutiveSuccesses);
    } else {
      st.consecutiveFailures++;
      st.consecutiveSuccesses = 0;
      st.lastError = result.error;
      if (st.check === 'up' && st.consecutiveFailures >= check.fall) this.transition(s, 'down', result.error, st.consecutiveFailures);
    }
  }

  private transition(s: Checked, state: 'up' | 'down', reason: string, count: number): void {
    s.state.check = state;
    this.applyEffective(s);
    const noun = state === 'up' ? (count === 1 ? 'success' : 'successes') : count === 1 ? 'failure' : 'failures';
    // The check still changed, but injected health or maintenance decides for now.
    const overridden = s.admin === 'maint' ? '; in maintenance, stays out' : s.injected !== 'auto' ? `; health set ${s.injected} from outside wins until auto` : '';
    const message = `server ${s.backend.name}/${s.server.name} is ${state.toUpperCase()}: ${reason} (${count} ${noun})${overridden}`;
    this.options.onTransition?.({ backend: s.backend.name, server: s.server.name, state, reason, count, message });
  }

  private applyEffective(s: Checked, throwErrors = false): void {
    const enabled = effectiveEnabled({ admin: s.admin, injected: s.injected, check: s.state.check });
    if (enabled === s.state.enabled) return;
    try {
      this.options.setEnabled(s.backend.name, s.server.name, enabled);
      s.state.enabled = enabled;
    } catch (error) {
      if (throwErrors) throw error;
      this.options.onError?.(error);
    }
  }
}

/** Connect, then close at once: the server accepts, so it is up. */
export function tcpProbe(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.unref();
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ ok: false, error: 'check aborted' });
    const timer = setTimeout(() => finish({ ok: false, error: `connect timeout after ${timeoutMs}ms` }), timeoutMs);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: `connect ${error.code ?? error.message}` }));
  });
}
