/** `--timeout` values: "90", "1.5s", "500ms", "20m", "1h" (a bare number is seconds). */
import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Milliseconds, > 0. Throws UsageError (exit 2) with an example on bad input. */
export function parseLabDuration(text: string | number, what = '--timeout'): number {
  const raw = typeof text === 'number' ? String(text) : text;
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = UNITS[(match?.[2] || 's').toLowerCase()];
  if (!match || unit === undefined) {
    throw new UsageError(`invalid ${what} '${raw}': expected a duration such as 90, 30s, 500ms, 20m or 1h`);
  }
  const ms = Math.round(Number(match[1]) * unit);
  if (!(ms > 0)) throw new UsageError(`invalid ${what} '${raw}': it must be longer than 0 (leave it out for no limit)`);
  // setTimeout overflows past 2^31-1 ms (~24.8 days) and would fire at once.
  if (ms > 2_147_483_647) throw new UsageError(`invalid ${what} '${raw}': at most 24 days`);
  return ms;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
