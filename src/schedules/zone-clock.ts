// A time zone's wall clock as the schedules need it (schedule.ts runsOf): its reading at an instant,
// and where it jumps forward (a gap of local times) or back (local times passed twice), to the second.

export const DAY_MS = 86_400_000;

/** A time zone's wall clock and its changes, to the second. */
export class ZoneClock {
  /** One per zone: a formatter costs far more to make than to use (the zones are a few hundred at most). */
  private static readonly zones = new Map<string, ZoneClock>();
  static of(timezone: string): ZoneClock {
    let z = ZoneClock.zones.get(timezone);
    if (!z) ZoneClock.zones.set(timezone, (z = new ZoneClock(timezone)));
    return z;
  }

  private readonly fmt: Intl.DateTimeFormat;
  private constructor(timezone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The wall-clock reading at `ms`, as epoch ms read as UTC. */
  wall(ms: number): number {
    const p: Record<string, number> = {};
    for (const { type, value } of this.fmt.formatToParts(new Date(ms))) p[type] = Number(value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (ms - Math.floor(ms / 1000) * 1000);
  }

  offset(ms: number): number {
    return this.wall(ms) - ms;
  }

  /** The first instant in (a, b] with b's offset, when a's differs. */
  private change(a: number, b: number): number {
    const target = this.offset(b);
    while (b - a > 1) {
      const mid = a + Math.floor((b - a) / 2);
      if (this.offset(mid) === target) b = mid;
      else a = mid;
    }
    return b;
  }

  /** A change forward in (t, until]: [its instant, the skipped local times' start, their end], or null. */
  forwardChange(t: number, until: number): [number, number, number] | null {
    // A week at a time: changes are months apart, and most schedules' next run is within a day.
    let before = this.offset(t);
    for (let a = t; a < until;) {
      const b = Math.min(a + 7 * DAY_MS, until);
      const after = this.offset(b);
      if (after > before) {
        const at = this.change(a, b);
        return [at, this.wall(at) - (after - before), this.wall(at)];
      }
      a = b;
      before = after;
    }
    return null;
  }

  /** The last instant of the second pass `ms` lies in (see repeated). */
  secondPassEnd(ms: number): number {
    const back = this.offset(ms - DAY_MS) - this.offset(ms);
    return this.change(ms - DAY_MS, ms) + back - 1;
  }

  /** Whether the local time at `ms` is its second pass (the clock was set back less than a day before). */
  repeated(ms: number): boolean {
    const back = this.offset(ms - DAY_MS) - this.offset(ms);
    return back > 0 && this.wall(ms - back) === this.wall(ms);
  }
}
