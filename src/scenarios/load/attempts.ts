/**
 * One attempt of each built-in generator, classified by how it ended:
 * ok, reset, refused, timeout or other. Every attempt is bounded by its timeout.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { Outcome } from '../expression.js';

export interface AttemptEnd {
  outcome: Outcome;
  latencyMs: number;
}

export function classify(error: unknown): Outcome {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'reset';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT' || code === 'QPLUG_TIMEOUT') return 'timeout';
  return 'other';
}

const timeoutError = () => Object.assign(new Error('attempt timed out'), { code: 'QPLUG_TIMEOUT' });

/** A new TCP connection: ok once connected and, for `holdMs`, not reset. Latency is the connect time. */
export function tcpConnectAttempt(address: string, port: number, timeoutMs: number, holdMs: number): Promise<AttemptEnd> {
  const started = performance.now();
  return new Promise((resolve) => {
    let connectedMs: number | null = null;
    let settled = false;
    const socket = connect({ host: address, port });
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(holdTimer);
      socket.destroy();
      resolve({ outcome, latencyMs: connectedMs ?? performance.now() - started });
    };
    let holdTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => finish(classify(timeoutError())), timeoutMs);
    socket.on('connect', () => {
      connectedMs = performance.now() - started;
      clearTimeout(timer);
      if (holdMs <= 0) finish('ok');
      else holdTimer = setTimeout(() => finish('ok'), holdMs);
    });
    socket.on('data', () => undefined);
    socket.on('error', (error) => finish(classify(error)));
    socket.on('close', () => { if (connectedMs !== null) finish('ok'); else finish('other'); });
  });
}

export interface HttpRequestOptions {
  method: string;
  path: string;
  /** Extra request headers (x-request-id, idempotency-key). */
  headers: Record<string, string>;
  /** Sent as the body when the method carries one (POST, PUT, PATCH). */
  body: string | null;
}

/** One request over a keep-alive agent (one connection per agent). ok: a complete 2xx/3xx answer. */
export function httpAttempt(agent: Agent, address: string, port: number, options: HttpRequestOptions, timeoutMs: number): Promise<AttemptEnd> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, latencyMs: performance.now() - started });
    };
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== null) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) });
    const req = request({ host: address, port, path: options.path, method: options.method, agent, headers });
    const timer = setTimeout(() => { req.destroy(timeoutError()); finish('timeout'); }, timeoutMs);
    req.on('response', (res) => {
      res.on('data', () => undefined);
      res.on('end', () => finish((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400 ? 'ok' : 'other'));
      res.on('error', (error) => finish(classify(error)));
      res.on('aborted', () => finish('reset'));
    });
    req.on('error', (error) => finish(classify(error)));
    req.end(options.body ?? undefined);
  });
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
}
