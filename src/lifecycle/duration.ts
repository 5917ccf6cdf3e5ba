// The one duration parser: milliseconds as a number, or strings such as "200ms", "30s", "5m", "24h", "7d".

export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/;

/**
 * The longest duration any setting takes: ten years. Every time the engine computes (a start plus a
 * timeout, a retry, a resume) must stay a date it can store and show; an unbounded "99999999999999h"
 * made times past the last date JavaScript has, and one such action broke the work list for everyone.
 */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Parses a duration; returns undefined when it is not one (the caller names the field in its error). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= MAX_DURATION_MS ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  return Number.isFinite(n) && n <= MAX_DURATION_MS ? Math.round(n) : undefined;
}

export const DURATION_HINT =
  'must be a duration of at most ten years (3650d): milliseconds, or a string such as "200ms", "30s", "5m", "24h"';
