/** `qplug release --all`: release every plug qplug knows of, in every namespace. */
import { PlugQdisc } from './PlugQdisc.js';
import { listRecords } from './state.js';
import { isQplugError } from '../errors.js';

export interface ReleaseAllResult {
  dev: string;
  netns: string | null;
  /** State before: only buffering plugs are released. */
  was: string;
  released: boolean;
  error?: { code: string; message: string };
}

export async function releaseAll(): Promise<ReleaseAllResult[]> {
  const results: ReleaseAllResult[] = [];
  for (const record of listRecords()) {
    const entry: ReleaseAllResult = { dev: record.dev, netns: record.netns, was: record.state, released: false };
    try {
      const plug = await PlugQdisc.open({ dev: record.dev, netns: record.netns });
      try {
        // Release even what the record calls pass-through: records can lag the kernel.
        await plug.releaseIndefinite();
        entry.released = true;
      } finally {
        plug.close();
      }
    } catch (error) {
      entry.error = isQplugError(error) ? { code: error.code, message: error.message } : { code: 'E_INTERNAL', message: String(error) };
    }
    results.push(entry);
  }
  return results;
}
