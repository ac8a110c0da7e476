/** Readiness checks, run against a service inside its host's namespace. */
import { fileURLToPath } from 'node:url';
import type { ReadyCheck } from '../planTypes.js';
import { abortableSleep, runCommand } from '../run/proc.js';
import type { ProbeSpec } from './probe.js';

const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

export interface ReadyTarget {
  readonly name: string;
  readonly netns: string;
  /** Resolves once a line of the service's output matches. */
  waitForOutput(pattern: RegExp, signal: AbortSignal): Promise<void>;
}

function describe(check: ReadyCheck): string {
  switch (check.kind) {
    case 'tcp': return `tcp ${check.address}:${check.port} accepting`;
    case 'http': return `GET ${check.url} answering 2xx`;
    case 'output': return `output matching /${check.pattern}/`;
    case 'exec': return `\`${check.argv.join(' ')}\` exiting 0`;
    case 'delay': return `${check.delayMs} ms passing`;
  }
}

/** Resolves when ready; rejects with a one-line reason after the check's timeout or on abort. */
export async function waitReady(target: ReadyTarget, check: ReadyCheck, signal: AbortSignal): Promise<void> {
  const failure = () => new Error(`service '${target.name}' was not ready within ${check.timeoutMs} ms (waited for ${describe(check)})`);
  switch (check.kind) {
    case 'delay':
      await abortableSleep(check.delayMs, signal);
      return;
    case 'tcp':
    case 'http': {
      const spec: ProbeSpec = check.kind === 'tcp'
        ? { kind: 'tcp', address: check.address, port: check.port, timeoutMs: check.timeoutMs, intervalMs: check.intervalMs }
        : { kind: 'http', url: check.url, timeoutMs: check.timeoutMs, intervalMs: check.intervalMs };
      // The probe's own node start-up is not the service's fault: it gets a little extra time.
      const r = await runCommand(['ip', 'netns', 'exec', target.netns, process.execPath, PROBE, JSON.stringify(spec)], { timeoutMs: check.timeoutMs + 30_000, signal });
      signal.throwIfAborted();
      if (r.code !== 0) throw failure();
      return;
    }
    case 'output': {
      const timeout = AbortSignal.timeout(check.timeoutMs);
      try {
        await target.waitForOutput(new RegExp(check.pattern), AbortSignal.any([signal, timeout]));
      } catch (error) {
        signal.throwIfAborted();
        if (timeout.aborted) throw failure();
        throw error;
      }
      return;
    }
    case 'exec': {
      const deadline = Date.now() + check.timeoutMs;
      while (Date.now() < deadline) {
        const r = await runCommand(['ip', 'netns', 'exec', target.netns, ...check.argv], { timeoutMs: Math.max(1000, deadline - Date.now()), signal });
        signal.throwIfAborted();
        if (r.code === 0) return;
        await abortableSleep(check.intervalMs, signal);
      }
      throw failure();
    }
  }
}
