/** `qplug scenario validate` and `qplug scenario list`, without yargs: the same functions are the API. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { resolveScenarioPath } from './load.js';
import type { Role } from './planTypes.js';
import { missingCommands } from './services.js';
import { shippedFiles } from './shipped.js';
import { validateScenario } from './validate.js';

export interface FileValidation {
  /** As given (a bare name stays bare). */
  file: string;
  /** Where it was found, or null. */
  path: string | null;
  ok: boolean;
  name?: string;
  variants?: number;
  steps?: number;
  problems: string[];
}

/** Check one scenario argument: a path, or the bare name of a shipped scenario. */
export function validateScenarioFile(arg: string): FileValidation {
  const found = resolveScenarioPath(arg);
  if (found === undefined) {
    return { file: arg, path: null, ok: false, problems: [`${arg}: no such file, and no shipped scenario of that name (see \`qplug scenario list\`)`] };
  }
  const path = resolve(found);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { file: arg, path, ok: false, problems: [`${found}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'EIO'})`] };
  }
  const result = validateScenario(text, { file: found, path, dir: dirname(path) });
  if (!result.plan) return { file: arg, path, ok: false, problems: result.problems };
  return { file: arg, path, ok: true, name: result.plan.name, variants: result.plan.variants.length, steps: result.plan.base.timeline.length, problems: [] };
}

export interface ShippedScenario {
  file: string;
  name: string;
  /** The first line of its description. */
  summary: string;
  variants: Array<{ name: string; role: Role }>;
  /** The commands its `requires:` names, and those of them this machine lacks (it will not run until they are installed). */
  requires: { commands: string[]; install: string | null; missing: string[] };
  /** Problems, when a shipped file does not validate (a packaging bug). */
  problems: string[];
}

export function listShippedScenarios(): ShippedScenario[] {
  return shippedFiles().map((file) => {
    const result = validateScenario(readFileSync(file, 'utf8'), { file, path: file, dir: dirname(file) });
    const plan = result.plan;
    if (!plan) return { file, name: file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), summary: '', variants: [], requires: { commands: [], install: null, missing: [] }, problems: result.problems };
    const requires = plan.base.requires;
    return {
      file,
      name: plan.name,
      summary: plan.description.split('\n')[0]?.trim() ?? '',
      variants: plan.variants.map((v) => ({ name: v.variant, role: v.role })),
      requires: { commands: [...requires.commands], install: requires.install, missing: missingCommands(requires) },
      problems: [],
    };
  });
}
