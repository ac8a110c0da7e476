/**
 * variants: -> full plans. Each variant is the document with the values under
 * `set:` put in place (by document path), then checked and planned like the
 * base, so a bad replacement value is reported at its own line in the variant.
 */
import { isMap, isScalar, isSeq, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { Checker, fits, type Checked } from './check.js';
import { didYouMean } from '../text/didYouMean.js';
import { Located, formatPath, type Path } from './located.js';
import { buildRunPlan } from './plan.js';
import type { Override, Role, RunPlan, VariantPlan } from './planTypes.js';
import type { SourceInfo } from './services.js';
import { scenarioSpec } from './schema/scenario.js';
import type { Spec } from './schema/spec.js';

/** Paths a variant may not change. */
const FIXED_ROOTS = ['name', 'variants', '$schema'];

/** "services.proxy.reload_strategy" or "timeline[2].at" -> ['services', 'proxy', 'reload_strategy'] / ['timeline', 2, 'at']. */
export function parseDocumentPath(text: string): Path {
  const segments: Array<string | number> = [];
  for (const part of text.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [];
    segments.push(m[1]!);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/** The spec of `node`'s child `key`, or undefined when the schema has no such field there. */
function childSpec(spec: Spec, node: YamlNode | null, key: string | number): Spec | undefined {
  switch (spec.kind) {
    case 'object':
      return typeof key === 'string' ? spec.fields[key] : undefined;
    case 'tagged': {
      const tag = isMap(node) ? node.get(spec.tag) : undefined;
      const variant = typeof tag === 'string' ? spec.variants()[tag] : undefined;
      if (typeof key !== 'string' || !variant) return undefined;
      return key === spec.tag ? undefined : (variant.fields[key] ?? spec.common?.[key]);
    }
    case 'map':
      return typeof key === 'string' ? spec.values : undefined;
    case 'array':
      return typeof key === 'number' ? spec.items : undefined;
    case 'union': {
      const option = spec.options.find((o) => fits(o, node));
      return option && childSpec(option, node, key);
    }
    default:
      return undefined;
  }
}

function fieldsOf(spec: Spec, node: YamlNode | null): string[] {
  if (spec.kind === 'object') return Object.keys(spec.fields);
  if (spec.kind === 'tagged') {
    const tag = isMap(node) ? node.get(spec.tag) : undefined;
    const variant = typeof tag === 'string' ? spec.variants()[tag] : undefined;
    return variant ? [...Object.keys(variant.fields), ...Object.keys(spec.common ?? {})] : [];
  }
  if (isMap(node)) return node.items.map((p) => String((p.key as { value?: unknown })?.value));
  return [];
}

/** Why `segments` is not a path the variant can set, or undefined when it is. */
function pathProblem(doc: Document, segments: Path): string | undefined {
  if (segments.length === 0) return 'not a document path: write e.g. services.proxy.reload_strategy or timeline[2].at';
  if (FIXED_ROOTS.includes(String(segments[0]))) return `a variant cannot change ${segments[0]}`;
  let spec: Spec = scenarioSpec;
  let node = doc.contents as YamlNode | null;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i]!;
    const where = i === 0 ? 'the document' : formatPath(segments.slice(0, i));
    if (spec.kind === 'tagged' && key === spec.tag) return `a variant cannot change the ${spec.what} of ${where}`;
    const next = childSpec(spec, node, key);
    const has = (isMap(node) || isSeq(node)) && node.has(key);
    const last = i === segments.length - 1;
    if (!next || (!has && (!last || (spec.kind !== 'object' && spec.kind !== 'tagged')))) {
      if (typeof key === 'number') return isSeq(node) ? `${where} has no item [${key}] (it has ${node.items.length})` : `${where} is not a list`;
      const known = fieldsOf(spec, node);
      return `no such path: ${where} has no '${key}' (${didYouMean(key, known, 'it has')})`;
    }
    spec = next;
    node = has ? ((node as YAMLMap).get(key, true) as YamlNode | null) : null;
  }
  return undefined;
}

export function planVariants(doc: Document, draft: Checked, base: RunPlan, loc: Located, source: SourceInfo): VariantPlan[] {
  const variants = draft.variants as Record<string, Checked | undefined> | undefined;
  if (!variants) return [{ ...base, variant: 'default', role: 'null', variantDescription: '', overrides: [] }];
  const plans: VariantPlan[] = [];
  for (const [name, v] of Object.entries(variants)) {
    if (!v) continue;
    const path = ['variants', name];
    const setNode = loc.exactNode([...path, 'set']);
    const clone = doc.clone();
    clone.delete('variants');
    const overrides: Override[] = [];
    let usable = true;
    for (const pair of isMap(setNode) ? (setNode.items as Pair[]) : []) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const segments = parseDocumentPath(key);
      const problem = pathProblem(doc, segments);
      if (problem) {
        loc.report([...path, 'set', key], problem, pair.key as YamlNode);
        usable = false;
        continue;
      }
      put(clone, segments, pair.value as YamlNode);
      overrides.push({ path: key, value: (pair.value as YamlNode | null)?.toJSON?.() ?? null });
    }
    for (const own of ['signature', 'repeat', 'seed']) {
      const node = loc.exactNode([...path, own]);
      if (v[own] !== undefined && node) put(clone, [own], node);
    }
    if (!usable) continue;
    const vloc = new Located(loc.file, loc.lines);
    const vdraft = new Checker(vloc, clone).check(clone.contents, scenarioSpec, []) as Checked;
    const plan = buildRunPlan(vdraft ?? {}, vloc, source);
    loc.adopt(vloc, ` (in variant '${name}')`);
    const role = v.role as Role;
    if (role === 'bug' && plan.signature.length === 0) {
      loc.report([...path, 'role'], `a bug variant needs a signature (what shows the bug, e.g. 'reset > 0'): add signature: to the scenario or to this variant`);
    }
    plans.push({ ...plan, variant: name, role, variantDescription: typeof v.description === 'string' ? v.description : '', overrides });
  }
  return plans;
}

/** Set `segments` in the clone to `value` (the variant's node, which keeps its position in the file). */
function put(doc: Document, segments: Path, value: YamlNode): void {
  const parentPath = segments.slice(0, -1);
  const key = segments[segments.length - 1]!;
  const parent = (parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true)) as YamlNode | null;
  if ((isMap(parent) || isSeq(parent)) && parent.has(key)) parent.set(key, value);
  else if (isMap(parent)) parent.add(doc.createPair(key, value));
}
