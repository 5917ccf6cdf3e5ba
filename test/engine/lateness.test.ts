// The timer-lateness window: nearest-rank p50/p99 of the last minute, old claims dropping out, and a
// full ring keeping the newest.

import { describe, expect, it } from 'vitest';
import { LatenessWindow } from '../../src/engine/lateness.ts';

describe('LatenessWindow', () => {
  it('is null with nothing recorded, and gives p50/p99/max of the last minute', () => {
    const w = new LatenessWindow(60_000, 1000);
    expect(w.summary(0)).toBeNull();
    for (let i = 1; i <= 100; i++) w.record(i, 1_000);
    expect(w.summary(2_000)).toEqual({ windowMs: 60_000, samples: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
    // A minute later those claims are gone; newer ones count alone.
    w.record(7, 61_500);
    expect(w.summary(61_500)).toEqual({ windowMs: 60_000, samples: 1, p50Ms: 7, p99Ms: 7, maxMs: 7 });
    expect(w.summary(200_000)).toBeNull();
  });

  it('keeps the newest claims when the ring is full, and never reports a negative lateness', () => {
    const w = new LatenessWindow(60_000, 4);
    for (const ms of [1000, 1000, 1000, 1000, 5, 6, -3, 8]) w.record(ms, 10);
    expect(w.summary(10)).toEqual({ windowMs: 60_000, samples: 4, p50Ms: 5, p99Ms: 8, maxMs: 8 });
  });
});
