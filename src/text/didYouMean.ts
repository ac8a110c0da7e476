/** "did you mean 'plug'?" for a misspelt key, step type or name. */

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest known word, when it is close enough to be a typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const normal = (s: string) => s.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(normal(word), normal(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** "did you mean 'x'?" when one is close, else "known: a, b, c". */
export function didYouMean(word: string, known: readonly string[], noun = 'known'): string {
  const best = closest(word, known);
  if (best !== undefined) return `did you mean '${best}'?`;
  return known.length > 0 ? `${noun}: ${known.join(', ')}` : 'nothing is allowed here';
}
