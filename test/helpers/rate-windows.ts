// Checks a rate limit against the external system's own log of arrivals. Callout takes a permit in a
// fixed window by its clock and starts the request before that window's guard; the receiver logs it
// when its own event loop gets to it. On a loaded machine that can be a window later, so an arrival
// may be counted in any window from `transitMs` before it up to its own.

/** Arrivals per fixed window of `perMs` (aligned to the epoch, as the limiter's windows are). */
export function perWindow(times: number[], perMs: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) counts.set(Math.floor(t / perMs), (counts.get(Math.floor(t / perMs)) ?? 0) + 1);
  return counts;
}

/**
 * Null when every arrival can be given a window, at most `transitMs` before it, with no window over
 * `limit`; otherwise what could not fit. Arrivals are taken in order, each into the earliest window
 * with room: with every arrival's choice a run of windows moving forward in time, that is optimal.
 */
export function overLimit(times: number[], perMs: number, limit: number, transitMs: number): string | null {
  const used = new Map<number, number>();
  for (const t of [...times].sort((a, b) => a - b)) {
    const last = Math.floor(t / perMs);
    let w = Math.floor((t - transitMs) / perMs);
    while (w <= last && (used.get(w) ?? 0) >= limit) w++;
    if (w > last) {
      const counts = [...perWindow(times, perMs)].map(([k, n]) => `${new Date(k * perMs).toISOString()}: ${n}`);
      return `the arrival at ${new Date(t).toISOString()} finds its windows full (${limit} each), even allowing ${transitMs} ms in transit; arrivals per window: ${counts.join(', ')}`;
    }
    used.set(w, (used.get(w) ?? 0) + 1);
  }
  return null;
}
