/** Splits a byte stream into bounded lines (the runtime API's framing). */

/** A complete line (without its newline), or a line that grew past the limit. */
export type LineItem = { line: string } | { tooLong: number };

/**
 * Holds at most maxBytes of an unfinished line. A longer line yields one
 * `tooLong` item as soon as it passes the limit; the rest of it, up to the
 * next newline, is dropped. So every line sent yields exactly one item.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): LineItem[] {
    const items: LineItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      if (!this.discarding) {
        if (this.size + (end - start) > this.maxBytes) {
          this.reset();
          this.discarding = true;
          items.push({ tooLong: this.maxBytes });
        } else if (end > start) {
          // A copy: a subarray would keep the whole chunk alive.
          this.parts.push(Buffer.from(chunk.subarray(start, end)));
          this.size += end - start;
        }
      }
      if (newline < 0) break;
      if (!this.discarding) items.push({ line: Buffer.concat(this.parts, this.size).toString('utf8') });
      this.reset();
      this.discarding = false;
      start = newline + 1;
    }
    return items;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
  }
}

/** Splits replies: text lines, each reply ended by an empty line. */
export class ReplySplitter {
  private pending = '';
  private lines: string[] = [];

  /** The replies completed by this chunk, each as its lines. */
  push(text: string): string[][] {
    const replies: string[][] = [];
    const pieces = (this.pending + text).split('\n');
    this.pending = pieces.pop() ?? '';
    for (const line of pieces) {
      if (line === '') {
        replies.push(this.lines);
        this.lines = [];
      } else this.lines.push(line);
    }
    return replies;
  }
}
