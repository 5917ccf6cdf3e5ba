import { describe, expect, it } from 'vitest';
import { RateBacklog } from './rate-backlog.ts';

const T = Date.UTC(2030, 0, 1, 9, 0, 0);
const count = (xs: number[]): Map<number, number> => {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

describe('RateBacklog', () => {
  it('fills each window up to its limit, in order, from the first window permits are free', () => {
    const b = new RateBacklog();
    const due = b.place('c', [{ limit: 3, perMs: 1000 }], T + 1000, 7, T + 10);
    expect(due).toEqual([T + 1000, T + 1000, T + 1000, T + 2000, T + 2000, T + 2000, T + 3000]);
    // Later holds go behind the earlier ones, not into windows already full.
    expect(b.place('c', [{ limit: 3, perMs: 1000 }], T + 1000, 3, T + 20)).toEqual([T + 3000, T + 3000, T + 4000]);
  });

  it('respects every window: a full minute window moves the rest to the next minute', () => {
    const b = new RateBacklog();
    const limits = [
      { limit: 5, perMs: 1000 },
      { limit: 8, perMs: 60_000 },
    ];
    const due = b.place('c', limits, T + 1000, 12, T);
    expect([...count(due)]).toEqual([
      [T + 1000, 5],
      [T + 2000, 3],
      [T + 60_000, 4],
    ]);
  });

  it('starts again at the window permits are free once its plan is behind, and forgets ended windows', () => {
    const b = new RateBacklog();
    const limits = [{ limit: 2, perMs: 500 }];
    b.place('c', limits, T + 500, 5, T);
    // Much later: the old plan is over, so the first free window is used again.
    expect(b.place('c', limits, T + 60_500, 3, T + 60_100)).toEqual([T + 60_500, T + 60_500, T + 61_000]);
    // A changed limit, or another connector, has a plan of its own.
    expect(b.place('c', [{ limit: 1, perMs: 500 }], T + 60_500, 2, T + 60_100)).toEqual([T + 60_500, T + 61_000]);
    expect(b.place('d', limits, T + 60_500, 1, T + 60_100)).toEqual([T + 60_500]);
  });

  it('resumes behind a backlog already in the store, in the window after its last', () => {
    const b = new RateBacklog();
    const limits = [{ limit: 2, perMs: 1000 }];
    expect(b.place('c', limits, T + 1000, 0, T + 10)).toEqual([]);
    expect(b.knows('c', limits)).toBe(false); // placing nothing made no plan that would ignore the stored backlog
    b.resume('c', limits, T + 40_000, T + 10);
    expect(b.knows('c', limits)).toBe(true);
    expect(b.place('c', limits, T + 1000, 3, T + 10)).toEqual([T + 41_000, T + 41_000, T + 42_000]);
    // Nothing held yet: it starts at the first window permits are free.
    b.resume('d', limits, null, T + 10);
    expect(b.place('d', limits, T + 1000, 1, T + 10)).toEqual([T + 1000]);
    expect(b.knows('d', [{ limit: 3, perMs: 1000 }])).toBe(false);
  });
});
