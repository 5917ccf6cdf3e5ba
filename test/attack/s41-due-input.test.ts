// Attack on the due form's reading of a datetime-local value in the zone the person chose
// (src/ui/client/times.ts fromLocalInput): wall times a clock change skips east of UTC, half-hour
// changes, years below 100, and days a month lacks.

import { describe, expect, it } from 'vitest';
import { fromLocalInput } from '../../src/ui/client/times.ts';

describe('a date-time input at the edges', () => {
  it('reads a skipped wall time with the offset before the change east of UTC too', () => {
    // 02:30 on 29 March 2026 never happens in Paris: with the offset before (CET) it is 01:30Z, 03:30 CEST.
    expect(fromLocalInput('2026-03-29T02:30', 'Europe/Paris')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // Lord Howe moves half an hour: 02:15 on 4 October 2026 is skipped there.
    expect(fromLocalInput('2026-10-04T02:15', 'Australia/Lord_Howe')?.toISOString()).toBe('2026-10-03T15:45:00.000Z');
    // A repeated one is the first, east of UTC as west.
    expect(fromLocalInput('2026-10-25T02:30', 'Europe/Paris')?.toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('reads the year typed, not 1900 plus it, and no day a month lacks', () => {
    expect(fromLocalInput('0050-06-01T00:00', 'UTC')?.toISOString()).toBe('0050-06-01T00:00:00.000Z');
    expect(fromLocalInput('2026-02-31T09:00', 'UTC')).toBeNull();
    expect(fromLocalInput('2026-12-08T24:00', 'UTC')).toBeNull();
  });
});
