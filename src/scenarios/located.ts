/**
 * Where every value of the document came from, and the problems found so far,
 * each printed as `file:line:col: path.in.document: what is wrong (remedy)`.
 */
import { LineCounter, type Node as YamlNode } from 'yaml';
import { describeNode } from '../text/yamlNodes.js';

export type Path = ReadonlyArray<string | number>;

/** services.web.port, timeline[2].type; "(document)" for the root. */
export function formatPath(path: Path): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  return text === '' ? '(document)' : text;
}

export { describeNode };

interface Problem {
  offset: number;
  text: string;
}

export class Located {
  private readonly problems: Problem[] = [];
  private readonly nodes = new Map<string, YamlNode>();
  /** Added to every message (" (variant 'restart')"). */
  suffix = '';

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** Remember where the value at `path` is, for later checks that only know the path. */
  remember(path: Path, node: YamlNode | null | undefined): void {
    if (node) this.nodes.set(formatPath(path), node);
  }

  /** The node at exactly `path`, if the document has one. */
  exactNode(path: Path): YamlNode | undefined {
    return this.nodes.get(formatPath(path));
  }

  /** The node at `path`, or of its nearest ancestor the document has. */
  nodeAt(path: Path): YamlNode | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.nodes.get(formatPath(path.slice(0, n)));
      if (node) return node;
    }
    return undefined;
  }

  /** A problem at a node (its first character), or at `path`'s node. */
  report(path: Path, message: string, node?: YamlNode | null): void {
    this.reportAt((node ?? this.nodeAt(path))?.range?.[0] ?? 0, formatPath(path), message);
  }

  reportAt(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ offset, text: `${this.file}:${line}:${col}: ${path}: ${message}${this.suffix}` });
  }

  /** A problem someone else located (the proxy config checker), by line and column. */
  reportLine(line: number, col: number, path: string, message: string): void {
    const offset = (this.lines.lineStarts[line - 1] ?? 0) + col - 1;
    this.problems.push({ offset, text: `${this.file}:${line}:${col}: ${path}: ${message}${this.suffix}` });
  }

  /** Another pass's problems over the same file that this one does not have yet, with a suffix. */
  adopt(other: Located, suffix: string): void {
    const known = new Set(this.problems.map((p) => p.text));
    for (const p of other.problems) if (!known.has(p.text)) this.problems.push({ offset: p.offset, text: `${p.text}${suffix}` });
  }

  get count(): number {
    return this.problems.length;
  }

  /** Every problem once, in file order. */
  list(): string[] {
    const sorted = [...this.problems].sort((a, b) => a.offset - b.offset);
    return [...new Set(sorted.map((p) => p.text))];
  }

  /** Problems with their offsets, to merge several passes over one file. */
  entries(): ReadonlyArray<Readonly<Problem>> {
    return this.problems;
  }
}
