/**
 * `node dist/proxy/main.js <config.yaml>`: `qplug proxy -c <config.yaml> --json`
 * without the CLI around it, for programs that start proxies (scenario
 * services). Same master, same worker, same JSON lines and exit codes; what
 * it saves is the command-line parser, and it forks the first worker before
 * it loads the config, so the two start side by side. That matters where
 * starting Node is slow (the emulated kernel lab: ~0.7 s a process).
 */
import { WorkerHandle } from './reload/WorkerHandle.js';

const USAGE = 'usage: node dist/proxy/main.js <config.yaml> (what `qplug proxy -c <config.yaml> --json` runs; see docs/proxy.md)';

async function main(args: readonly string[]): Promise<number> {
  const [configPath, ...rest] = args;
  if (configPath === undefined || configPath.startsWith('-') || rest.length > 0) {
    process.stderr.write(`qplug: ${USAGE} [E_USAGE]\n`);
    return 2;
  }
  const firstWorker = WorkerHandle.spawn();
  // If the config is bad the worker is not needed: it must not outlive us.
  firstWorker.catch(() => undefined);
  try {
    const [{ loadProxyConfig }, { runMaster }] = await Promise.all([import('./config.js'), import('./reload/foreground.js')]);
    const config = await loadProxyConfig(configPath).catch(async (error: unknown) => {
      const worker = await firstWorker.catch(() => null);
      worker?.kill();
      throw error;
    });
    await runMaster(config, { json: true, configPath, firstWorker });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const { reportError } = await import('../cli/output.js');
    return reportError(error, { json: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
