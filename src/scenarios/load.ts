/** Reading a scenario: a file, a shipped scenario's bare name, or YAML text. */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ScenarioPlan } from './planTypes.js';
import { findShipped } from './shipped.js';
import { validateScenario } from './validate.js';

export interface LoadOptions {
  /** Treat the argument as this file's text (the name for messages; relative paths resolve from its folder). */
  file?: string;
}

/** Text when it looks like YAML rather than a path: several lines, or a `key:`. */
function looksLikeText(value: string): boolean {
  return value.includes('\n') || /^\s*[\w$-]+\s*:/.test(value);
}

/** Parse and check scenario text; throws ConfigError('E_SCENARIO') listing every problem. */
export function parseScenario(text: string, options: LoadOptions = {}): ScenarioPlan {
  const file = options.file ?? '<scenario>';
  const path = options.file === undefined ? null : resolve(options.file);
  const result = validateScenario(text, { file, path, dir: path ? dirname(path) : process.cwd() });
  if (!result.plan) throw new ConfigError('E_SCENARIO', result.problems);
  return result.plan;
}

/**
 * Where a scenario argument lives: the path itself when it exists, else a
 * shipped scenario (scenarios/<name>, with or without .yaml).
 */
export function resolveScenarioPath(arg: string): string | undefined {
  if (existsSync(arg)) return arg;
  return findShipped(arg);
}

/**
 * `loadScenario('reload-race.yaml')`, `loadScenario('./mine.yaml')`, or
 * `loadScenario(text, { file: 'mine.yaml' })`: the immutable plan, or a
 * ConfigError('E_SCENARIO') (exit 2) with one located line per problem.
 */
export async function loadScenario(pathOrText: string, options: LoadOptions = {}): Promise<ScenarioPlan> {
  if (options.file !== undefined || looksLikeText(pathOrText)) return parseScenario(pathOrText, options);
  const path = resolveScenarioPath(pathOrText);
  if (path === undefined) {
    throw new ConfigError('E_SCENARIO', [`${pathOrText}: no such file, and no shipped scenario of that name (see \`qplug scenario list\`)`]);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('E_SCENARIO', [`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'EIO'})`], { cause: error });
  }
  return parseScenario(text, { file: path });
}

/** loadScenario for callers that cannot wait (tests, the schema generator). */
export function loadScenarioSync(path: string): ScenarioPlan {
  const found = resolveScenarioPath(path);
  if (found === undefined) throw new ConfigError('E_SCENARIO', [`${path}: no such file, and no shipped scenario of that name`]);
  return parseScenario(readFileSync(found, 'utf8'), { file: found });
}
