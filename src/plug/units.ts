/** Sizes ("64k", "1mb", "1500") and durations ("250ms", "2s", "1m"). */
import { UsageError } from '../errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/** Bytes; binary multiples, as tc reads them. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number') {
    if (Number.isInteger(text) && text >= 0 && text <= 0xffffffff) return text;
    throw new UsageError(`invalid ${what} ${text}: expected a whole number of bytes from 0 to 4294967295`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) {
    throw new UsageError(`invalid ${what} '${text}': expected bytes with an optional unit k, m or g (binary), e.g. 64k`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes > 0xffffffff) throw new UsageError(`invalid ${what} '${text}': the kernel takes at most 4294967295 bytes (4g)`);
  return bytes;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 === 0) return `${+(bytes / 1024 ** 2).toFixed(2)}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${+(bytes / 1024).toFixed(2)}KiB`;
  return `${bytes}B`;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds. A bare number is seconds. */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text * 1000;
    throw new UsageError(`invalid ${what} ${text}: expected a non-negative number of seconds`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new UsageError(`invalid ${what} '${text}': expected e.g. 250ms, 2s, 1.5m or 1h`);
  const unit = DURATION_UNITS[(match[2] ?? 's').toLowerCase()] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

/**
 * Library options that take "milliseconds or a duration": a number is
 * milliseconds, a string is read by parseDuration ("250ms", "2s").
 */
export function toMilliseconds(value: number | string, what = 'duration'): number {
  if (typeof value === 'string') return parseDuration(value, what);
  if (Number.isFinite(value) && value >= 0) return value;
  throw new UsageError(`invalid ${what} ${value}: expected milliseconds (a non-negative number) or a duration such as 2s`);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${+(ms / 60_000).toFixed(1)}m`;
}
