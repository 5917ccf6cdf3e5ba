// Retry-After (RFC 9110): either seconds or an HTTP date; returned as milliseconds from now.

import { MAX_DURATION_MS } from '../lifecycle/duration.ts';

/** At most MAX_DURATION_MS: the external system's word must not make a retry time that is no date. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_DURATION_MS);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), MAX_DURATION_MS);
}
