// Fixed rate-limit windows (SPEC section 3: "100 a minute and 50,000 a day"), as pure arithmetic
// shared by the engine (when to send, when to look again) and both stores (which window a permit
// belongs to). Windows are aligned to the epoch, so every node agrees on them without talking.

export interface RateLimitWindow {
  /** Permits in one window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly perMs: number;
}

const WINDOW_UNITS: Array<[string, number]> = [
  ['week', 604_800_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/**
 * A limit as a person says it: "100 a minute", "50,000 a day", "5 per 10 seconds", "5 per 500 ms". The
 * "held" line of a throttled action said "1000 per 86400000 ms".
 */
export function limitText(l: RateLimitWindow): string {
  const n = l.limit.toLocaleString('en-US');
  for (const [unit, size] of WINDOW_UNITS) {
    if (l.perMs % size !== 0) continue;
    const k = l.perMs / size;
    return k === 1 ? `${n} a ${unit}` : `${n} per ${k.toLocaleString('en-US')} ${unit}s`;
  }
  return `${n} per ${l.perMs} ms`;
}

/** Start of the window of length `perMs` that holds `now`. */
export function windowStart(now: number, perMs: number): number {
  return Math.floor(now / perMs) * perMs;
}

/** End (exclusive) of the window of length `perMs` that holds `now`: when its permits are renewed. */
export function windowEnd(now: number, perMs: number): number {
  return windowStart(now, perMs) + perMs;
}

/** The first of the current windows to end: permits taken now must be used before then. */
export function firstWindowEnd(now: number, limits: readonly RateLimitWindow[]): number {
  let end = Infinity;
  for (const l of limits) end = Math.min(end, windowEnd(now, l.perMs));
  return end;
}

/** The last of the current windows to end: when every window exhausted now has rolled over. */
export function lastWindowEnd(now: number, limits: readonly RateLimitWindow[]): number {
  let end = -Infinity;
  for (const l of limits) end = Math.max(end, windowEnd(now, l.perMs));
  return end;
}

/** How many permits the windows give together, given what each has used: the smallest remainder. */
export function grantable(want: number, windows: ReadonlyArray<RateLimitWindow & { used: number }>): number {
  let free = want;
  for (const w of windows) free = Math.min(free, Math.max(0, w.limit - w.used));
  return Math.max(0, free);
}

/**
 * When a caller granted fewer than it wanted may try again: once every window it exhausted has
 * rolled over (null when it got all it wanted).
 */
export function retryAt(
  now: number,
  granted: number,
  want: number,
  windows: ReadonlyArray<RateLimitWindow & { used: number }>,
): number | null {
  if (granted >= want) return null;
  const exhausted = windows.filter((w) => w.limit - w.used <= granted);
  return lastWindowEnd(now, exhausted.length > 0 ? exhausted : windows);
}

/**
 * The guard at the end of a window in which permits are not used (this, or a tenth of the shortest
 * window if shorter), so a request started late on a busy machine does not land in the next window.
 */
export function sendGuardMs(limits: readonly RateLimitWindow[], guardMs = 100): number {
  let shortest = Infinity;
  for (const l of limits) shortest = Math.min(shortest, l.perMs);
  return Math.min(guardMs, Math.floor(shortest / 10));
}
