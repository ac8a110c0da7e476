/**
 * `qplug proxy reload` without yargs: send `reload [strategy] --json` to a
 * master's runtime API and wait (bounded) for its answer, which comes once the
 * new worker serves.
 */
import { ProxyError } from '../../errors.js';
import { apiRequest } from '../api/client.js';
import type { ReloadStrategy } from '../configSchema.js';

export interface ReloadReply {
  strategy: ReloadStrategy;
  oldPid: number;
  newPid: number;
  ms: number;
}

/** Rejects with the API client's errors (no socket: exit 4, permission: 5) or a ProxyError carrying the master's error line. */
export async function requestReload(apiPath: string, strategy: ReloadStrategy | undefined, timeoutMs = 60_000): Promise<ReloadReply> {
  const reply = await apiRequest(apiPath, `reload${strategy ? ` ${strategy}` : ''} --json`, { timeoutMs });
  if (!reply.ok) throw new ProxyError(`reload failed: ${reply.error ?? reply.lines.join(' ')}`, { details: { apiPath } });
  try {
    const value = JSON.parse(reply.lines[0] ?? '') as Partial<ReloadReply>;
    if (typeof value.oldPid === 'number' && typeof value.newPid === 'number') return value as ReloadReply;
  } catch {
    // not JSON: reported below
  }
  throw new ProxyError(`unexpected answer from the runtime API at ${apiPath}: ${reply.lines.join(' ').slice(0, 200)}`);
}
