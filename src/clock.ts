// Time, injected: the engine never reads Date.now() itself, so tests step timers with a fake clock.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms` (or when a fake clock is advanced past it). */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The longest delay setTimeout takes (2^31 − 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // Node fires a longer timer at once (with a warning), so one due in 25 days or more fires early
    // instead, at 24.8 days: every caller looks again at what is due when its timer fires.
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that only moves when told to; timers fire in order as it is advanced. */
export class FakeClock implements Clock {
  private t: number;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 0;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return { cancel: () => (this.timers = this.timers.filter((x) => x.id !== id)) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  set(ms: number): void {
    this.advance(Math.max(0, ms - this.t));
  }
}

/**
 * An epoch-ms time as the API shows it (ISO 8601, UTC); null for none, and for a time no Date can
 * hold, so one bad row (written before times were bounded) cannot fail a whole list.
 */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * Epoch ms of an RFC 3339 date-time with its zone ("2026-12-01T09:00:00Z", "…+01:00"); NaN for any
 * other text, and for a date no calendar has: Date.parse reads 2027-02-31 as 3 March.
 */
export function parseDateTime(text: string): number {
  const m = DATE_TIME.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second = '0', offH = '0', offM = '0'] = m.slice(1).map((x) => x ?? undefined) as string[];
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999 (0000-02-29 was refused).
  const last = new Date(0);
  last.setUTCFullYear(Number(year), Number(month), 0);
  const daysInMonth = last.getUTCDate();
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysInMonth) return NaN;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59 || Number(offH) > 23 || Number(offM) > 59) return NaN;
  return Date.parse(text);
}
