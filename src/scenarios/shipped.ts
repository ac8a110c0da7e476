/** The scenarios shipped in the package's scenarios/ folder. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** <package>/scenarios, from src/scenarios or dist/scenarios alike. */
export function shippedDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');
}

/** Absolute paths of the shipped scenario files, sorted. */
export function shippedFiles(): string[] {
  const dir = shippedDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** A shipped scenario by bare name: "reload-race", "reload-race.yaml". */
export function findShipped(name: string): string | undefined {
  if (name.includes('/')) return undefined;
  const dir = shippedDir();
  return [name, `${name}.yaml`, `${name}.yml`].map((n) => join(dir, n)).find((p) => existsSync(p));
}
