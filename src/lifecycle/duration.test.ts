import { describe, expect, it } from 'vitest';
import { DURATION_HINT, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['200ms', 200],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1.5s', 1_500],
    ['250', 250],
    [' 10 s ', 10_000],
    ['0s', 0],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes a number as milliseconds', () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1.6)).toBe(2);
  });

  it.each(['', 'abc', '5 minutes', '5min', '-1s', '1e3', 's', '10x', '1..5s', '5m30s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, {}, [], ['5s']])('rejects %j', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });

  it('takes ten years at most: a longer one would make times no date can hold', () => {
    expect(parseDuration('3650d')).toBe(3650 * 86_400_000);
    expect(parseDuration('3651d')).toBeUndefined();
    expect(parseDuration('99999999999999h')).toBeUndefined();
    expect(parseDuration(3650 * 86_400_000 + 1)).toBeUndefined();
    expect(DURATION_HINT).toMatch(/at most ten years/);
  });

  it('has a hint for error messages', () => {
    expect(DURATION_HINT).toMatch(/duration/);
  });
});
