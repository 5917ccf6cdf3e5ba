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
const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(style: 'time' | 'dateTime' | 'full' | 'day', zone: string, locale: string | undefined): Intl.DateTimeFormat {
  const key = `${style} ${zone} ${locale ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    const timeZone = resolveZone(zone) ?? browserZone();
    const options: Intl.DateTimeFormatOptions =
      style === 'time'
        ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
        : style === 'dateTime'
          ? { dateStyle: 'medium', timeStyle: 'medium' }
          : style === 'full'
            ? { dateStyle: 'medium', timeStyle: 'long' }
            : { year: 'numeric', month: '2-digit', day: '2-digit' };
    // The calendar day is compared, never shown: a fixed locale keeps it comparable.
    f = new Intl.DateTimeFormat(style === 'day' ? 'en-CA' : locale, { ...options, timeZone });
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
