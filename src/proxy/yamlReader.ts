/**
 * Reads a YAML document while keeping where every value came from, so each
 * problem is reported as `file:line:col: path.in.document: what (what to do)`.
 * Collects every problem instead of stopping at the first.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { isQplugError } from '../errors.js';
import { parseDuration, parseSize } from '../plug/units.js';
import { didYouMean as didYouMeanText } from '../text/didYouMean.js';
import { describeNode as describe } from '../text/yamlNodes.js';

interface Problem {
  offset: number;
  line: number;
  col: number;
  path: string;
  message: string;
}

export interface Entry {
  key: Scalar;
  /** null for `key:` with nothing after it. */
  value: YamlNode | null;
  path: string;
}

export interface IntRange {
  min: number;
  max: number;
}

export class YamlReader {
  readonly doc: Document;
  private readonly lines = new LineCounter();
  private readonly problems: Problem[] = [];

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
    for (const error of this.doc.errors) {
      // yaml's own message, without the position it repeats.
      const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.code;
      this.reportAt(error.pos[0], '(document)', `YAML syntax: ${message} (fix the YAML; quote values such as "[::1]:8080")`);
    }
  }

  get hasSyntaxErrors(): boolean {
    return this.doc.errors.length > 0;
  }

  /** Every problem, in file order, formatted. */
  formatted(): string[] {
    return [...this.problems]
      .sort((a, b) => a.offset - b.offset)
      .map((p) => `${this.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`);
  }

  get problemCount(): number {
    return this.problems.length;
  }

  reportAt(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ offset, line, col, path, message });
  }

  /** At the node, or at the start of the file when there is none. */
  report(node: YamlNode | null | undefined, path: string, message: string): void {
    this.reportAt(node?.range?.[0] ?? 0, path, message);
  }

  lineOf(node: YamlNode | null | undefined): number {
    return this.lines.linePos(node?.range?.[0] ?? 0).line;
  }

  resolve(node: YamlNode | null | undefined): YamlNode | null {
    if (isAlias(node)) return (node.resolve(this.doc) as YamlNode | undefined) ?? null;
    return node ?? null;
  }

  /**
   * The entries of a map; unknown keys are reported with a did-you-mean.
   * `misplaced` gives a better hint for keys known to belong elsewhere.
   */
  map(node: YamlNode | null | undefined, path: string, known: readonly string[] | null, misplaced: Record<string, string> = {}): Map<string, Entry> | undefined {
    const resolved = this.resolve(node);
    if (!isMap(resolved)) {
      const hint = known ? `keys: ${known.join(', ')}` : 'a name, a colon, then its keys on the lines below';
      this.report(resolved ?? node, path, `expected a map, got ${describe(resolved)} (${hint})`);
      return undefined;
    }
    const entries = new Map<string, Entry>();
    for (const pair of resolved.items) {
      const key = pair.key as YamlNode | null;
      if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
        this.report(key, path, `expected a plain key, got ${describe(key)}`);
        continue;
      }
      const name = String(key.value);
      const entryPath = path ? `${path}.${name}` : name;
      if (known && !known.includes(name)) {
        const hint = misplaced[name] ?? didYouMean(name, known);
        this.report(key, entryPath, `unknown key '${name}' (${hint})`);
        continue;
      }
      entries.set(name, { key, value: this.resolve(pair.value as YamlNode | null), path: entryPath });
    }
    return entries;
  }

  /** A missing required key, reported at the map's own key (or the map). */
  missing(anchor: YamlNode | null | undefined, path: string, key: string, howTo: string): void {
    this.report(anchor, path, `missing '${key}' (${howTo})`);
  }

  seq(entry: Entry): YamlNode[] | undefined {
    if (!isSeq(entry.value)) {
      this.report(entry.value ?? entry.key, entry.path, `expected a list, got ${describe(entry.value)} (write one item per line, each starting with "- ")`);
      return undefined;
    }
    return entry.value.items.map((item) => this.resolve(item as YamlNode)).filter((item): item is YamlNode => item !== null);
  }

  string(entry: Entry | undefined, example: string): string | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v === 'string' && v !== '') return v;
    this.report(entry.value ?? entry.key, entry.path, `expected a string, got ${describe(entry.value)} (e.g. ${example})`);
    return undefined;
  }

  bool(entry: Entry | undefined): boolean | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v === 'boolean') return v;
    this.report(entry.value ?? entry.key, entry.path, `expected true or false, got ${describe(entry.value)}`);
    return undefined;
  }

  int(entry: Entry | undefined, range: IntRange): number | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v === 'number' && Number.isInteger(v) && v >= range.min && v <= range.max) return v;
    const what = typeof v === 'number' ? `${v}` : describe(entry.value);
    this.report(entry.value ?? entry.key, entry.path, `expected a whole number from ${range.min} to ${range.max}, got ${what}`);
    return undefined;
  }

  /** Milliseconds. `positive`: 0 is refused. */
  duration(entry: Entry | undefined, { positive = false } = {}): number | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.report(entry.value ?? entry.key, entry.path, `expected a duration, got ${describe(entry.value)} (e.g. 250ms, 2s, 1m)`);
      return undefined;
    }
    const ms = this.convert(entry, () => parseDuration(v));
    if (ms !== undefined && positive && ms <= 0) {
      this.report(entry.value, entry.path, `must be more than 0 (e.g. 2s)`);
      return undefined;
    }
    return ms;
  }

  /** Bytes, within `range`. */
  size(entry: Entry | undefined, range: IntRange): number | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.report(entry.value ?? entry.key, entry.path, `expected a size, got ${describe(entry.value)} (e.g. 64k, 1m, or bytes as a number)`);
      return undefined;
    }
    const bytes = this.convert(entry, () => parseSize(v));
    if (bytes !== undefined && (bytes < range.min || bytes > range.max)) {
      this.report(entry.value, entry.path, `${bytes} bytes is out of range (use ${range.min} to ${range.max} bytes)`);
      return undefined;
    }
    return bytes;
  }

  oneOf<T extends string>(entry: Entry | undefined, choices: readonly T[]): T | undefined {
    if (!entry) return undefined;
    const v = scalarValue(entry.value);
    if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === 'string' ? didYouMean(v, choices) : '';
    const close = hint.startsWith('did you mean') ? ` (${hint})` : '';
    this.report(entry.value ?? entry.key, entry.path, `expected one of ${choices.join(', ')}, got ${describe(entry.value)}${close}`);
    return undefined;
  }

  /** Run a units parser; its UsageError message becomes a located problem. */
  private convert(entry: Entry, parse: () => number): number | undefined {
    try {
      return parse();
    } catch (error) {
      if (!isQplugError(error)) throw error;
      this.report(entry.value, entry.path, error.message);
      return undefined;
    }
  }
}

function scalarValue(node: YamlNode | null): unknown {
  return isScalar(node) ? node.value : undefined;
}

export { describe };
export { editDistance as levenshtein } from '../text/didYouMean.js';

/** "did you mean 'backend'?" when a known word is close, else the list of known words. */
export function didYouMean(word: string, known: readonly string[]): string {
  return didYouMeanText(word, known, 'expected one of');
}
