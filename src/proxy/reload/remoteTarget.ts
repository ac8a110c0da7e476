/**
 * The runtime API's view of a master: every call goes to the serving worker
 * over IPC, and `reload` replaces it. The API server (api/) sees only an
 * ApiTarget, the same interface a single-process Proxy offers.
 */
import { ConfigError, ProxyError } from '../../errors.js';
import type { ApiTarget, ProxyInfo } from '../api/target.js';
import type { ProxyStats } from '../Proxy.js';
import type { ServerStateRecord } from '../serverState.js';
import type { Master } from './Master.js';

export function masterTarget(master: Master): ApiTarget {
  return {
    info: async () => ({
      ...((await master.call('info')) as ProxyInfo),
      strategy: master.config.global.reloadStrategy,
      master: { pid: process.pid, reloads: master.reloads },
    }),
    stats: async () => (await master.call('stats')) as ProxyStats,
    serverState: async () => (await master.call('serverState')) as ServerStateRecord[],
    setAdmin: async (backend, server, admin) => void (await master.call('setAdmin', [backend, server, admin])),
    setWeight: async (backend, server, weight) => void (await master.call('setWeight', [backend, server, weight])),
    setHealth: async (backend, server, health) => void (await master.call('setHealth', [backend, server, health])),
    reload: async (strategy) => {
      try {
        const { strategy: used, oldPid, newPid, ms } = await master.reload(strategy);
        return { strategy: used, oldPid, newPid, ms };
      } catch (error) {
        // The API answers with one line: every located problem goes on it.
        if (error instanceof ConfigError) throw new ProxyError(`bad config, the old worker keeps serving: ${error.problems.join('; ')}`);
        throw error;
      }
    },
  };
}
