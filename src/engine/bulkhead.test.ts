import { describe, expect, it } from 'vitest';
import { Bulkhead, MAX_SHARE_HOLD_MS, SLOW_ATTEMPT_MS } from './bulkhead.ts';

describe('Bulkhead', () => {
  it('lets a fast system take every place: only an attempt in flight for a second makes it slow', () => {
    const b = new Bulkhead(8);
    for (let i = 0; i < 8; i++) b.started('fast', `a${i}`, 0);
    expect(b.full('fast', 0, SLOW_ATTEMPT_MS - 1)).toBe(false);
    expect(b.overShare(SLOW_ATTEMPT_MS - 1)).toBe(0);
    expect(b.full('fast', 0, SLOW_ATTEMPT_MS)).toBe(true);
    // Turned slow with every place: the four beyond its share stop counting against the node.
    expect(b.overShare(SLOW_ATTEMPT_MS)).toBe(4);
  });

  it('counts a batch let through but not started, and forgets a slow attempt once it ends', () => {
    const b = new Bulkhead(8);
    b.started('s', 'old', 0);
    expect(b.full('s', 2, 2000)).toBe(false);
    expect(b.full('s', 3, 2000)).toBe(true);
    b.ended('s', 'old', 2000);
    expect(b.slow('s', 2000)).toBe(false);
    expect(b.inFlight('s')).toBe(0);
    b.started('s', 'new', 2000);
    expect(b.slow('s', 2500)).toBe(false);
  });

  it('frees at most half of maxInFlight beyond the shares, whatever several slow systems hold', () => {
    const b = new Bulkhead(8);
    for (let i = 0; i < 8; i++) b.started('x', `x${i}`, 0);
    for (let i = 0; i < 8; i++) b.started('y', `y${i}`, 0);
    expect(b.overShare(5000)).toBe(4);
  });

  it('spreads the holds of a backlog by how long a place takes to free, within five minutes', () => {
    const b = new Bulkhead(8);
    b.started('s', 'a', 0);
    b.ended('s', 'a', 8000); // one attempt of 8 s: a place every 2 s with a share of 4
    const first = b.holdUntil('s', 10_000, 2000);
    const second = b.holdUntil('s', 10_000, 2000);
    expect(first).toBe(14_000);
    expect(second).toBe(16_000);
    for (let i = 0; i < 1000; i++) b.holdUntil('s', 10_000, 2000);
    expect(b.holdUntil('s', 10_000, 2000)).toBe(10_000 + MAX_SHARE_HOLD_MS);
  });

  it('gives a node of one place to one system', () => {
    const b = new Bulkhead(1);
    expect(b.share).toBe(1);
    expect(b.full('s', 0, 5000)).toBe(false);
  });
});
