/**
 * YAML text -> every problem, located, or the normalised plan:
 * parse (keeping positions) -> check against the schema -> cross-check and
 * plan the base -> expand the variants -> freeze.
 */
import { LineCounter, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import { Checker, type Checked } from './check.js';
import { Located } from './located.js';
import { buildRunPlan, deepFreeze } from './plan.js';
import type { ScenarioPlan } from './planTypes.js';
import { scenarioSpec } from './schema/scenario.js';
import type { SourceInfo } from './services.js';
import { planVariants } from './variants.js';

export interface ValidationResult {
  /** Set when there are no problems. */
  plan?: ScenarioPlan;
  /** `file:line:col: path: what is wrong`, in file order. */
  problems: string[];
}

export interface ValidateOptions {
  /** Name used in messages (and the plan's `file` when `path` is not given). */
  file: string;
  /** Absolute path of the file, or null for text. */
  path: string | null;
  /** Folder relative paths (config_file, cwd) are read from. */
  dir: string;
}

export function validateScenario(text: string, options: ValidateOptions): ValidationResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Located(options.file, lines);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.code;
      loc.reportAt(error.pos[0], '(document)', `YAML syntax: ${message} (fix the YAML; quote text that contains ': ' or starts with [ { * & ! | >)`);
    }
    return { problems: loc.list() };
  }
  const contents = doc.contents as YamlNode | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    loc.reportAt(0, '(document)', 'the file is empty: a scenario needs at least name: (see scenarios/example-freeze.yaml)');
    return { problems: loc.list() };
  }
  const draft = new Checker(loc, doc).check(contents, scenarioSpec, []) as Checked | undefined;
  if (draft === undefined) return { problems: loc.list() };
  const source: SourceInfo = { text, file: options.file, dir: options.dir };
  const base = buildRunPlan(draft, loc, source);
  const variants = planVariants(doc, draft, base, loc, source);
  if (loc.count > 0) return { problems: loc.list() };
  const plan: ScenarioPlan = { file: options.path, name: base.name, description: base.description, base, variants };
  return { plan: deepFreeze(plan), problems: [] };
}
