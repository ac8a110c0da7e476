#!/usr/bin/env node
// Entry point: the CLI is compiled to dist/ by `npm run build` (run by ./setup.sh).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'cli', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write(`qplug: ${entry} is missing: the TypeScript sources are not built; run \`./setup.sh\` (or \`npm run build\`) in ${root}\n`);
  process.exit(3);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
