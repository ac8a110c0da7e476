/**
 * Checks a YAML node against a spec (schema/spec.ts), reporting every problem
 * with its location, and returns the value read: durations in ms, sizes in
 * bytes, defaults filled. A value with a problem is left out (undefined), so
 * later checks can go on and report the other problems of the file.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode, type Pair } from 'yaml';
import { isQplugError } from '../errors.js';
import { parseDuration, parseSize } from '../plug/units.js';
import { closest, didYouMean } from '../text/didYouMean.js';
import { describeNode, type Located, type Path } from './located.js';
import { expected, type ObjectSpec, type Spec } from './schema/spec.js';

export type Checked = Record<string, unknown>;

export class Checker {
  constructor(
    readonly loc: Located,
    private readonly doc: Document,
  ) {}

  resolve(node: unknown): YamlNode | null {
    if (isAlias(node)) return (node.resolve(this.doc) as YamlNode | undefined) ?? null;
    return (node as YamlNode | null | undefined) ?? null;
  }

  check(raw: unknown, spec: Spec, path: Path): unknown {
    const node = this.resolve(raw);
    this.loc.remember(path, node);
    const wrong = () => {
      this.loc.report(path, `expected ${expected(spec)}, got ${describeNode(node)}`, node);
      return undefined;
    };
    const scalar = isScalar(node) ? node.value : undefined;
    switch (spec.kind) {
      case 'any':
        return node === null ? null : node.toJSON();
      case 'string': {
        if (typeof scalar !== 'string') return wrong();
        if (spec.minLength !== undefined && scalar.length < spec.minLength) return wrong();
        const problem = spec.validate?.(scalar);
        if (problem !== undefined) {
          this.loc.report(path, problem, node);
          return undefined;
        }
        return scalar;
      }
      case 'integer':
        if (typeof scalar !== 'number' || !Number.isInteger(scalar) || scalar < spec.min || scalar > spec.max) return wrong();
        return scalar;
      case 'number':
        if (typeof scalar !== 'number' || scalar < spec.min || (spec.max !== undefined && scalar > spec.max)) return wrong();
        return scalar;
      case 'boolean':
        return typeof scalar === 'boolean' ? scalar : wrong();
      case 'duration':
      case 'size': {
        if (typeof scalar !== 'string' && typeof scalar !== 'number') return wrong();
        try {
          const value = spec.kind === 'duration' ? parseDuration(scalar) : parseSize(scalar);
          if (spec.kind === 'duration' && spec.positive && value <= 0) {
            this.loc.report(path, `must be more than 0, got ${describeNode(node)}`, node);
            return undefined;
          }
          return value;
        } catch (error) {
          if (!isQplugError(error)) throw error;
          this.loc.report(path, error.message, node);
          return undefined;
        }
      }
      case 'enum': {
        if (spec.nullAs !== undefined && isScalar(node) && scalar === null) return spec.nullAs;
        if (typeof scalar === 'string' && spec.values.includes(scalar)) return scalar;
        const close = typeof scalar === 'string' ? closest(scalar, spec.values) : undefined;
        const hint = close === undefined ? '' : ` (did you mean '${close}'?)`;
        this.loc.report(path, `expected ${expected(spec)}, got ${describeNode(node)}${hint}`, node);
        return undefined;
      }
      case 'array': {
        if (!isSeq(node)) return wrong();
        if (spec.minItems !== undefined && node.items.length < spec.minItems) {
          this.loc.report(path, `needs at least ${spec.minItems} item${spec.minItems === 1 ? '' : 's'}, got ${node.items.length}`, node);
        }
        if (spec.maxItems !== undefined && node.items.length > spec.maxItems) {
          this.loc.report(path, `takes at most ${spec.maxItems} items, got ${node.items.length}`, node);
        }
        return node.items.map((item, i) => this.check(item, spec.items, [...path, i]));
      }
      case 'map': {
        if (!isMap(node)) return wrong();
        const result: Checked = {};
        const keyPattern = new RegExp(spec.keyPattern);
        for (const pair of node.items) {
          const name = this.key(pair, path);
          if (name === undefined) continue;
          if (!keyPattern.test(name)) this.loc.report([...path, name], `invalid name '${name}' (${spec.keyRule})`, pair.key as YamlNode);
          this.loc.remember([...path, name], pair.key as YamlNode);
          result[name] = this.check(pair.value, spec.values, [...path, name]);
        }
        if (spec.minEntries !== undefined && node.items.length < spec.minEntries) {
          this.loc.report(path, `needs at least ${spec.minEntries} entr${spec.minEntries === 1 ? 'y' : 'ies'}`, node);
        }
        return result;
      }
      case 'object':
        return isMap(node) ? this.object(node.items, spec, path, node) : wrong();
      case 'tagged': {
        if (!isMap(node)) return wrong();
        const variants = spec.variants();
        const known = Object.keys(variants);
        const tagPair = node.items.find((p) => isScalar(p.key) && p.key.value === spec.tag);
        const tagNode = this.resolve(tagPair?.value);
        const tag = isScalar(tagNode) ? tagNode.value : undefined;
        const variant = typeof tag === 'string' ? variants[tag] : undefined;
        if (!tagPair) {
          this.loc.report([...path, spec.tag], `missing '${spec.tag}': say which ${spec.what} (known ${spec.what}s: ${known.join(', ')})`, node);
          return undefined;
        }
        if (!variant) {
          const close = typeof tag === 'string' ? didYouMean(tag, known, '') : '';
          const hint = close.startsWith('did') ? `${close} ` : '';
          this.loc.report([...path, spec.tag], `unknown ${spec.what} ${describeNode(tagNode).replace(/^the string /, '')} (${hint}known ${spec.what}s: ${known.join(', ')})`, tagNode);
          return undefined;
        }
        const fields: Record<string, Spec> = { [spec.tag]: { kind: 'enum', values: known }, ...spec.common, ...variant.fields };
        return this.object(node.items, { ...variant, fields }, path, node);
      }
      case 'union': {
        const chosen = spec.options.find((option) => fits(option, node));
        return chosen ? this.check(node, chosen, path) : wrong();
      }
    }
  }

  /** A map's key as text; other keys (lists, maps as keys) are refused. */
  private key(pair: Pair, path: Path): string | undefined {
    const key = pair.key as YamlNode | null;
    if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
    this.loc.report(path, `expected a plain key, got ${describeNode(key)}`, key);
    return undefined;
  }

  private object(pairs: Pair[], spec: ObjectSpec, path: Path, node: YamlNode): Checked {
    const result: Checked = {};
    const known = Object.keys(spec.fields);
    for (const pair of pairs) {
      const name = this.key(pair, path);
      if (name === undefined) continue;
      const field = spec.fields[name];
      const keyNode = pair.key as YamlNode;
      if (!field) {
        if (spec.open) {
          result[name] = this.resolve(pair.value)?.toJSON() ?? null;
          continue;
        }
        this.loc.report([...path, name], `unknown key '${name}' (${didYouMean(name, known, 'known keys')})`, keyNode);
        continue;
      }
      const value = this.resolve(pair.value);
      // `key:` with nothing after it: point at the key, not at the empty value.
      const empty = value === null || (isScalar(value) && value.value === null && value.range?.[0] === value.range?.[1]);
      if (empty && !(field.kind === 'enum' && field.nullAs !== undefined)) {
        this.loc.remember([...path, name], keyNode);
        this.loc.report([...path, name], `expected ${expected(field)}, got nothing`, keyNode);
        continue;
      }
      const checked = this.check(value, field, [...path, name]);
      if (checked !== undefined) result[name] = checked;
      else result[name] = INVALID;
    }
    const present = (k: string) => k in result;
    for (const name of spec.required ?? []) {
      if (!present(name)) this.loc.report([...path, name], `missing required key '${name}'${hintFor(spec.fields[name])}`, node);
    }
    for (const group of spec.exactlyOne ?? []) {
      const given = group.filter(present);
      if (given.length === 0) this.loc.report(path, `needs one of: ${group.join(', ')}`, node);
      if (given.length > 1) this.loc.report(path, `give only one of ${given.join(', ')}`, node);
    }
    for (const group of spec.atMostOne ?? []) {
      const given = group.filter(present);
      if (given.length > 1) this.loc.report(path, `give only one of ${given.join(', ')}`, node);
    }
    for (const [name, field] of Object.entries(spec.fields)) {
      if (!present(name) && field.default !== undefined) result[name] = defaultValue(field);
    }
    for (const name of Object.keys(result)) if (result[name] === INVALID) delete result[name];
    return result;
  }
}

/** Marks a key that was given but wrong (so it counts as present, not missing). */
const INVALID = Symbol('invalid');

function hintFor(field: Spec | undefined): string {
  const first = field?.description?.split(/[.;]/)[0]?.trim();
  return first ? ` (${first.charAt(0).toLowerCase()}${first.slice(1)})` : '';
}

function defaultValue(field: Spec): unknown {
  if (field.kind === 'duration' && (typeof field.default === 'string' || typeof field.default === 'number')) return parseDuration(field.default);
  if (field.kind === 'size' && (typeof field.default === 'string' || typeof field.default === 'number')) return parseSize(field.default);
  return field.default;
}

/** Could this node be meant as this option of a union? */
export function fits(spec: Spec, node: YamlNode | null): boolean {
  const v = isScalar(node) ? node.value : undefined;
  switch (spec.kind) {
    case 'map':
    case 'object':
    case 'tagged':
      return isMap(node);
    case 'array':
      return isSeq(node);
    case 'string':
    case 'enum':
      return typeof v === 'string';
    case 'integer':
    case 'number':
      return typeof v === 'number';
    case 'duration':
    case 'size':
      return typeof v === 'string' || typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'union':
      return spec.options.some((o) => fits(o, node));
    case 'any':
      return true;
  }
}
