/** Executable files and PATH lookups, shared by the lab (host tools) and scenarios (`requires:`). */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first `name` in the directories of `pathEnv`, then of `extraDirs`; null when there is none. */
export function findOnPath(name: string, pathEnv: string | undefined, extraDirs: readonly string[] = []): string | null {
  for (const dir of [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...extraDirs]) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
