// The one formatter for every date and time the UI shows, in a zone chosen by the viewer (the zone
// setting) rather than always the browser's. Pure: the zone and "now" are arguments, so it is tested
// without a browser. A zone that is not one (a stale or hand-edited setting) falls back to the browser's.

/**
 * The browser's own zone, as the system reported it when first asked: asking builds a DateTimeFormat,
 * and every time drawn asked twice (a timeline of 5,000 entries took seconds to draw).
 */
let browser: string | undefined;
export const browserZone = (): string => (browser ??= Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');

/** The zone's canonical name (`utc` → `UTC`, `Europe/paris` → `Europe/Paris`), or undefined when it is no zone. */
export function resolveZone(zone: string | null | undefined): string | undefined {
  if (!zone || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

// Building a DateTimeFormat costs far more than using one: one per zone, locale and style, kept.
const STYLES = {
  time: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
  dateTime: { dateStyle: 'medium', timeStyle: 'medium' },
  full: { dateStyle: 'medium', timeStyle: 'long' },
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  wall: { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;
// The calendar day is compared and the wall clock read as numbers, never shown: a fixed locale keeps them so.
const FIXED_LOCALE: Partial<Record<keyof typeof STYLES, string>> = { day: 'en-CA', wall: 'en-US' };
const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(style: keyof typeof STYLES, zone: string, locale: string | undefined): Intl.DateTimeFormat {
  const key = `${style} ${zone} ${locale ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    const timeZone = resolveZone(zone) ?? browserZone();
    f = new Intl.DateTimeFormat(FIXED_LOCALE[style] ?? locale, { ...STYLES[style], timeZone });
    cache.set(key, f);
  }
  return f;
}

/** Today's times (today in `zone`) as 14:05:09, other days with the date. */
export function shortTime(at: Date, zone: string, now: Date = new Date(), locale?: string): string {
  const day = fmt('day', zone, undefined);
  return day.format(at) === day.format(now) ? fmt('time', zone, locale).format(at) : fmt('dateTime', zone, locale).format(at);
}

/** The date and time with the zone's name or offset ("1 Nov 2026, 01:30:00 GMT-4"): for a tooltip, where the short form is ambiguous. */
export function fullTime(at: Date, zone: string, locale?: string): string {
  return fmt('full', zone, locale).format(at);
}

/** Every zone a person can choose, the browser's list (UTC among them). */
let zones: string[] | undefined;
export function knownZones(): string[] {
  if (!zones) {
    let list: string[] = [];
    try {
      list = Intl.supportedValuesOf('timeZone');
    } catch {
      // An older browser without the list: the two choices that need none remain.
    }
    zones = list.includes('UTC') ? list : ['UTC', ...list];
  }
  return zones;
}

// A date-time input reads and writes the wall clock of the zone shown, not the browser's.
function wall(at: number, zone: string): number[] {
  const p = Object.fromEntries(
    fmt('wall', zone, undefined)
      .formatToParts(new Date(at))
      .map((x) => [x.type, Number(x.value)]),
  );
  return [p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!];
}

/** The wall time as if it were UTC: setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999. */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t;
}

/** How far `zone`'s wall clock is ahead of UTC at `at` (ms). */
function offsetAt(at: number, zone: string): number {
  const [y, mo, d, h, mi, s] = wall(at, zone);
  return utc(y!, mo!, d!, h!, mi!, s!).getTime() - (at - (((at % 1000) + 1000) % 1000));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `at` as a datetime-local input shows it in `zone` ("2026-12-08T09:00"). */
export function toLocalInput(at: Date, zone: string): string {
  const [y, mo, d, h, mi] = wall(at.getTime(), zone);
  return `${pad(y!, 4)}-${pad(mo!)}-${pad(d!)}T${pad(h!)}:${pad(mi!)}`;
}

/**
 * The instant a datetime-local input's value ("2026-12-08T09:00") means in `zone`; null when it is no
 * such value. A wall time a clock change skips is read with the offset before the change; one it
 * repeats is the first.
 */
export function fromLocalInput(text: string, zone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  // A day the month lacks (or hour 24) rolls over: refused, not read as another day.
  const wallAt = utc(y, mo, d, h, mi, s);
  if (wallAt.getUTCMonth() !== mo - 1 || wallAt.getUTCDate() !== d || wallAt.getUTCHours() !== h || wallAt.getUTCMinutes() !== mi)
    return null;
  const guess = wallAt.getTime();
  // The zone's offsets a day either side: a change between them makes the wall time skipped or repeated.
  const before = guess - offsetAt(guess - 86_400_000, zone);
  const after = guess - offsetAt(guess + 86_400_000, zone);
  const shows = (at: number): boolean => offsetAt(at, zone) === guess - at;
  const found = [before, after].filter(shows);
  // Repeated: the first; skipped (neither shows it): the offset before the change.
  return new Date(found.length > 0 ? Math.min(...found) : before);
}
