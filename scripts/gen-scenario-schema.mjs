#!/usr/bin/env node
// Writes scenario.schema.json (the JSON Schema of scenario files, for editors)
// from its TypeScript source, src/scenarios/schema/. Run after `npm run build:ts`:
//   node scripts/gen-scenario-schema.mjs          write it
//   node scripts/gen-scenario-schema.mjs --check  exit 1 when the file is stale
// test/unit/scenario-schema.test.ts fails when the committed file is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'scenarios', 'schema', 'jsonSchema.js');
if (!existsSync(built)) {
  process.stderr.write(`gen-scenario-schema: ${built} is missing: run \`npm run build:ts\` first\n`);
  process.exit(3);
}
const { scenarioJsonSchemaText } = await import(pathToFileURL(built).href);
const target = join(root, 'scenario.schema.json');
const text = scenarioJsonSchemaText();
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    process.stderr.write('scenario.schema.json is stale: run `npm run build:ts && node scripts/gen-scenario-schema.mjs`\n');
    process.exit(1);
  }
  process.stdout.write('scenario.schema.json is up to date\n');
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
