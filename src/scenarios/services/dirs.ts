/** The private folders of a run's services (a proxy's files, a command's run dir), and their cleanup. */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder prefix of every service of a namespace (netns names carry the run id). */
function serviceDirPrefix(netns: string): string {
  return `qplug-${netns}-`;
}

/** The private folder of a service of a run: qplug-<netns>-<service> in the temp dir. */
export function serviceDir(netns: string, service: string): string {
  return join(tmpdir(), `${serviceDirPrefix(netns)}${service}`);
}

/** A service's folder, emptied and made 0700 (what the service keeps there is its own). */
export function freshServiceDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Remove the folders of every service of a namespace (a leftover run's). */
export function removeServiceDirs(netns: string): void {
  const prefix = serviceDirPrefix(netns);
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}
