import { describe, expect, it } from 'vitest';
import { Bulkhead, MAX_SHARE_HOLD_MS, SLOW_ATTEMPT_MS } from './bulkhead.ts';

/** A bulkhead on a monotonic clock the test moves. */
function bulkhead(maxInFlight: number): { b: Bulkhead; at: (ms: number) => void } {
  let t = 0;
  return { b: new Bulkhead(maxInFlight, () => t), at: (ms) => (t = ms) };
}

describe('Bulkhead', () => {
  it('lets a fast system take every place: only attempts in flight a second make it slow', () => {
    const { b, at } = bulkhead(8);
    for (let i = 0; i < 8; i++) b.started('fast', `a${i}`);
    at(SLOW_ATTEMPT_MS - 1);
    expect(b.full('fast', 0)).toBe(false);
    expect(b.overShare()).toBe(0);
    at(SLOW_ATTEMPT_MS);
    expect(b.full('fast', 0)).toBe(true);
    // Turned slow with every place: the four beyond its half stop counting against the node.
    expect(b.overShare()).toBe(4);
  });

  it('does not make a system slow for one hung request among fast ones', () => {
    const { b, at } = bulkhead(8);
    b.started('s', 'hung');
    at(5000);
    for (let i = 0; i < 7; i++) b.started('s', `quick${i}`);
    expect(b.slow('s')).toBe(false);
    expect(b.full('s', 0)).toBe(false);
    expect(b.overShare()).toBe(0);
    // A second one past a second makes it slow (a quarter of the half, at least two).
    at(6000);
    expect(b.slow('s')).toBe(true);
  });

  it('takes a few long requests among many quick ones in flight for quick ones, and a slow mean for slow', () => {
    const { b, at } = bulkhead(64); // half 32: slow after 8 attempts of a second
    for (let i = 0; i < 10; i++) b.started('s', `upload${i}`);
    at(1500);
    for (let i = 0; i < 30; i++) b.started('s', `ping${i}`);
    // 10 of 40 in flight are old, under half of them, and nothing has ended: not slow.
    expect(b.slow('s')).toBe(false);
    expect(b.full('s', 0)).toBe(false);
    // Attempts that end after 1.5 s make the mean slow: then 10 old ones among 40 are enough.
    at(2500);
    for (let i = 0; i < 30; i++) b.started('s', `late${i}`);
    at(3000);
    for (let i = 0; i < 30; i++) b.ended('s', `ping${i}`);
    expect(b.slow('s')).toBe(true);
  });

  it('gives slow systems one half between them, not a half each', () => {
    const { b, at } = bulkhead(8);
    b.started('x', 'x1');
    b.started('x', 'x2');
    at(1000);
    expect(b.full('y', 0)).toBe(false); // y has nothing in flight: not slow
    b.started('y', 'y1');
    b.started('y', 'y2');
    at(2000);
    expect(b.full('x', 0)).toBe(true);
    expect(b.full('y', 0)).toBe(true);
    // A batch's attempts let through count before they start.
    b.ended('y', 'y2');
    expect(b.full('x', 0)).toBe(false);
    expect(b.full('x', 1)).toBe(false); // y fell under two slow attempts: only x is slow now
  });

  it('frees at most half of maxInFlight beyond the half, whatever slow systems hold', () => {
    const { b, at } = bulkhead(8);
    for (let i = 0; i < 8; i++) b.started('x', `x${i}`);
    for (let i = 0; i < 8; i++) b.started('y', `y${i}`);
    at(5000);
    expect(b.overShare()).toBe(4);
  });

  it('forgets a slow attempt once it ends', () => {
    const { b, at } = bulkhead(8);
    b.started('s', 'a');
    b.started('s', 'b');
    at(2000);
    expect(b.slow('s')).toBe(true);
    b.ended('s', 'a');
    expect(b.slow('s')).toBe(false);
    expect(b.inFlight('s')).toBe(1);
  });

  it('spreads the holds of a backlog by how long a place takes to free: claimed again about once', () => {
    const { b, at } = bulkhead(8);
    b.started('s', 'a');
    at(8000);
    b.ended('s', 'a'); // one attempt of 8 s: a place every 2 s with a half of 4
    expect(b.holdUntil('s', 10_000, 2000)).toBe(14_000);
    expect(b.holdUntil('s', 10_000, 2000)).toBe(16_000);
    // 10,000 held behind attempts of 8 s: about 150 places free in five minutes, and as many come due.
    let soon = 0;
    for (let i = 0; i < 10_000; i++) if (b.holdUntil('s', 10_000, 2000) <= 10_000 + 5 * 60_000) soon++;
    expect(soon).toBeLessThan(160);
    expect(b.holdUntil('s', 10_000, 2000)).toBe(10_000 + MAX_SHARE_HOLD_MS);
  });

  it('gives a node of one place to one system', () => {
    const { b, at } = bulkhead(1);
    expect(b.share).toBe(1);
    b.started('s', 'a');
    at(5000);
    expect(b.slow('s')).toBe(false); // at least two slow attempts make a system slow
  });
});
