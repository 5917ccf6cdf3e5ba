// Small statistics for benchmark results: medians of runs, percentiles of latencies, request windows.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function percentiles(xs: Float64Array | number[], ps: readonly number[]): Record<string, number> {
  const sorted = Float64Array.from(xs).sort();
  const out: Record<string, number> = {};
  for (const p of ps) out[`p${p}`] = percentileSorted(sorted, p);
  out.max = sorted.length ? sorted[sorted.length - 1]! : NaN;
  return out;
}

/** Most arrivals in one window aligned to multiples of `ms` since the epoch (how fixed-window limits count). */
export function maxInAlignedWindow(times: readonly number[], ms: number): number {
  const counts = new Map<number, number>();
  let max = 0;
  for (const t of times) {
    const w = Math.floor(t / ms);
    const c = (counts.get(w) ?? 0) + 1;
    counts.set(w, c);
    if (c > max) max = c;
  }
  return max;
}

/** Most arrivals in any window [t, t + ms) whatever its start (a sliding window). */
export function maxInSlidingWindow(times: readonly number[], ms: number): number {
  const s = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while (s[hi]! - s[lo]! >= ms) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}
