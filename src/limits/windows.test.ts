import { describe, expect, it } from 'vitest';
import { firstWindowEnd, grantable, lastWindowEnd, limitText, retryAt, sendGuardMs, windowEnd, windowStart } from './windows.ts';

const minute = 60_000;
const day = 86_400_000;

describe('fixed rate-limit windows', () => {
  it('aligns windows to the epoch, so every node agrees on them', () => {
    expect(windowStart(125_000, minute)).toBe(120_000);
    expect(windowEnd(125_000, minute)).toBe(180_000);
    expect(windowStart(120_000, minute)).toBe(120_000);
    expect(windowEnd(119_999, minute)).toBe(120_000);
  });

  it('permits taken now must be used before the first current window ends', () => {
    const limits = [
      { limit: 100, perMs: minute },
      { limit: 50_000, perMs: day },
    ];
    expect(firstWindowEnd(day + 30_000, limits)).toBe(day + minute);
    expect(lastWindowEnd(day + 30_000, limits)).toBe(2 * day);
  });

  it('grants the smallest remainder of all windows, never below zero', () => {
    const windows = [
      { limit: 100, perMs: minute, used: 97 },
      { limit: 50_000, perMs: day, used: 10 },
    ];
    expect(grantable(10, windows)).toBe(3);
    expect(grantable(2, windows)).toBe(2);
    expect(grantable(5, [{ limit: 5, perMs: minute, used: 9 }])).toBe(0);
  });

  it('a caller short of permits waits until each window it exhausted rolls over', () => {
    const now = day + 30_000;
    const minuteFull = [
      { limit: 100, perMs: minute, used: 100 },
      { limit: 50_000, perMs: day, used: 10 },
    ];
    expect(retryAt(now, 0, 1, minuteFull)).toBe(day + minute);
    const dayFull = [
      { limit: 100, perMs: minute, used: 0 },
      { limit: 50_000, perMs: day, used: 50_000 },
    ];
    expect(retryAt(now, 0, 1, dayFull)).toBe(2 * day);
    expect(retryAt(now, 3, 3, minuteFull)).toBeNull();
  });

  it('keeps a guard of 100 ms, or a tenth of the shortest window, at the end of a window', () => {
    expect(sendGuardMs([{ limit: 5, perMs: 500 }])).toBe(50);
    expect(sendGuardMs([{ limit: 5, perMs: minute }])).toBe(100);
  });

  it('says a limit as a person would: "100 a minute", not "100 per 60000 ms"', () => {
    expect(limitText({ limit: 100, perMs: minute })).toBe('100 a minute');
    expect(limitText({ limit: 50_000, perMs: day })).toBe('50,000 a day');
    expect(limitText({ limit: 5, perMs: 10_000 })).toBe('5 per 10 seconds');
    expect(limitText({ limit: 5, perMs: 2 * 3_600_000 })).toBe('5 per 2 hours');
    expect(limitText({ limit: 5, perMs: 7 * day })).toBe('5 a week');
    expect(limitText({ limit: 5, perMs: 500 })).toBe('5 per 500 ms');
    expect(limitText({ limit: 5, perMs: 1_500 })).toBe('5 per 1500 ms');
  });
});
