import { describe, expect, it } from 'vitest';
import { parseDateTime } from './clock.ts';

describe('parseDateTime', () => {
  it('reads RFC 3339 date-times with their zone', () => {
    expect(parseDateTime('2026-12-01T09:00:00Z')).toBe(Date.UTC(2026, 11, 1, 9));
    expect(parseDateTime('2026-12-01T09:00:00.250+01:00')).toBe(Date.UTC(2026, 11, 1, 8, 0, 0, 250));
    expect(parseDateTime('2028-02-29T00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it('refuses dates no calendar has, times out of range, and text without a zone (Date.parse would roll them over or guess)', () => {
    for (const bad of [
      '2027-02-31T09:00:00Z',
      '2027-02-29T09:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T09:60:00Z',
      '2026-12-01T09:00:00',
      '2026-12-01',
      'tomorrow',
    ])
      expect(parseDateTime(bad), bad).toBeNaN();
  });
});
