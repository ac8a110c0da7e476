// Tables and option checks shared by the benches.

/** Columns padded to width, first left-aligned, the rest right-aligned. */
export function plainTable(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A Markdown table, numbers right-aligned. */
export function markdownTable(head, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

export class UsageError extends Error {}

/** An integer flag in min..max, or a UsageError naming it. */
export function intOption(name, raw, min, max) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${raw}'`);
  return n;
}

/** `--only a,b` checked against the known variants, in the known order. */
export function selectVariants(only, all) {
  const wanted = only ? only.split(',').map((s) => s.trim()).filter(Boolean) : all;
  for (const v of wanted) if (!all.includes(v)) throw new UsageError(`unknown variant '${v}'; known: ${all.join(', ')}`);
  return all.filter((v) => wanted.includes(v));
}
