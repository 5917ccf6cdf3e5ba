import { describe, expect, it } from 'vitest';
import { browserZone, fromLocalInput, fullTime, knownZones, resolveZone, shortTime, toLocalInput } from './times.ts';

const at = (iso: string): Date => new Date(iso);

describe('the time formatter', () => {
  it('shows the same instant in the zone asked for', () => {
    const t = at('2026-12-05T14:05:09Z');
    const now = at('2026-12-05T18:00:00Z');
    expect(shortTime(t, 'UTC', now, 'en-GB')).toBe('14:05:09');
    expect(shortTime(t, 'America/New_York', now, 'en-GB')).toBe('09:05:09');
    expect(shortTime(t, 'Asia/Kolkata', now, 'en-GB')).toBe('19:35:09');
    expect(fullTime(t, 'UTC', 'en-GB')).toBe('5 Dec 2026, 14:05:09 UTC');
    expect(fullTime(t, 'America/New_York', 'en-GB')).toBe('5 Dec 2026, 09:05:09 GMT-5');
  });

  it('tells apart the two 01:30s of the night the clocks go back by their offset', () => {
    // 1 November 2026 in New York: 01:30 EDT, then an hour later 01:30 EST.
    const first = at('2026-11-01T05:30:00Z');
    const second = at('2026-11-01T06:30:00Z');
    const now = at('2026-11-01T12:00:00Z');
    expect(shortTime(first, 'America/New_York', now, 'en-GB')).toBe('01:30:00');
    expect(shortTime(second, 'America/New_York', now, 'en-GB')).toBe('01:30:00');
    expect(fullTime(first, 'America/New_York', 'en-GB')).toBe('1 Nov 2026, 01:30:00 GMT-4');
    expect(fullTime(second, 'America/New_York', 'en-GB')).toBe('1 Nov 2026, 01:30:00 GMT-5');
  });

  it('skips the hour the clocks go forward', () => {
    // 8 March 2026 in New York: 01:59:59 EST, and the next second is 03:00:00 EDT.
    expect(fullTime(at('2026-03-08T06:59:59Z'), 'America/New_York', 'en-US')).toBe('Mar 8, 2026, 1:59:59 AM EST');
    expect(fullTime(at('2026-03-08T07:00:00Z'), 'America/New_York', 'en-US')).toBe('Mar 8, 2026, 3:00:00 AM EDT');
  });

  it("counts today in the chosen zone, not the browser's", () => {
    // 23:00 UTC on the 4th is yesterday in UTC at 03:00 on the 5th, but in New York both are the 4th.
    const t = at('2026-12-04T23:00:00Z');
    const now = at('2026-12-05T03:00:00Z');
    expect(shortTime(t, 'UTC', now, 'en-GB')).toBe('4 Dec 2026, 23:00:00');
    expect(shortTime(t, 'America/New_York', now, 'en-GB')).toBe('18:00:00');
    // And the other way: the same day in UTC, another in Tokyo.
    expect(shortTime(at('2026-12-05T14:00:00Z'), 'UTC', at('2026-12-05T16:00:00Z'), 'en-GB')).toBe('14:00:00');
    expect(shortTime(at('2026-12-05T14:00:00Z'), 'Asia/Tokyo', at('2026-12-05T16:00:00Z'), 'en-GB')).toBe('5 Dec 2026, 23:00:00');
  });

  it("shows a zone that is no zone in the browser's, without throwing", () => {
    const t = at('2026-12-05T14:05:09Z');
    expect(resolveZone('Mars/Olympus')).toBeUndefined();
    expect(resolveZone('')).toBeUndefined();
    expect(resolveZone(null)).toBeUndefined();
    expect(resolveZone('x'.repeat(10_000))).toBeUndefined();
    expect(fullTime(t, 'Mars/Olympus', 'en-GB')).toBe(fullTime(t, browserZone(), 'en-GB'));
    expect(shortTime(t, '<script>', t, 'en-GB')).toBe(shortTime(t, browserZone(), t, 'en-GB'));
  });

  it('names zones canonically and offers them all, UTC among them', () => {
    expect(resolveZone('utc')).toBe('UTC');
    expect(resolveZone('europe/paris')).toBe('Europe/Paris');
    const zones = knownZones();
    expect(zones).toContain('UTC');
    expect(zones).toContain('America/New_York');
    expect(zones.length).toBeGreaterThan(300);
  });
});

describe('a date-time input in the zone shown', () => {
  it('reads and writes the wall clock of the zone, not the browser’s', () => {
    const t = at('2026-12-08T08:00:00Z');
    expect(toLocalInput(t, 'Europe/Paris')).toBe('2026-12-08T09:00');
    expect(toLocalInput(t, 'America/New_York')).toBe('2026-12-08T03:00');
    expect(toLocalInput(t, 'Asia/Kolkata')).toBe('2026-12-08T13:30');
    expect(fromLocalInput('2026-12-08T09:00', 'Europe/Paris')?.toISOString()).toBe('2026-12-08T08:00:00.000Z');
    expect(fromLocalInput('2026-12-08T13:30', 'Asia/Kolkata')?.toISOString()).toBe('2026-12-08T08:00:00.000Z');
    expect(fromLocalInput('2026-12-08T08:00', 'UTC')?.toISOString()).toBe('2026-12-08T08:00:00.000Z');
  });

  it('reads a time the clocks skip or repeat as one instant, and refuses what is no date-time', () => {
    // 02:30 on 8 March 2026 never happens in New York: read with the offset before the change (EST).
    expect(fromLocalInput('2026-03-08T02:30', 'America/New_York')?.toISOString()).toBe('2026-03-08T07:30:00.000Z');
    // 01:30 on 1 November 2026 happens twice: the first (EDT).
    expect(fromLocalInput('2026-11-01T01:30', 'America/New_York')?.toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(fromLocalInput('', 'UTC')).toBeNull();
    expect(fromLocalInput('tomorrow', 'UTC')).toBeNull();
  });
});
