// Timer lateness: how long after its due time each action was claimed, over the last minute, as
// p50/p99. Recording is O(1) into preallocated rings (no allocation per action: the engine claims
// thousands a second); the percentiles are worked out on read (the dashboard, a few times a minute).

export interface LatenessSummary {
  windowMs: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class LatenessWindow {
  private readonly late: Float64Array;
  private readonly at: Float64Array;
  private next = 0;
  private size = 0;

  /** Keeps the last `capacity` claims; under heavier load the minute is the most recent `capacity` of it. */
  constructor(
    readonly windowMs = 60_000,
    capacity = 8192,
  ) {
    this.late = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
  }

  /** Told of each claim's lateness as it is recorded (the metrics' histogram). */
  observer: ((lateByMs: number) => void) | undefined;

  record(lateByMs: number, now: number): void {
    this.observer?.(lateByMs < 0 ? 0 : lateByMs);
    this.late[this.next] = lateByMs < 0 ? 0 : lateByMs;
    this.at[this.next] = now;
    this.next = (this.next + 1) % this.late.length;
    if (this.size < this.late.length) this.size++;
  }

  /** The claims within the window before `now`; null when there were none. */
  summary(now: number): LatenessSummary | null {
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.at[i]! > now - this.windowMs) recent.push(this.late[i]!);
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    const rank = (q: number): number => recent[Math.max(0, Math.ceil(q * recent.length) - 1)]!;
    return { windowMs: this.windowMs, samples: recent.length, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: recent[recent.length - 1]! };
  }
}
