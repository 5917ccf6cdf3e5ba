// The load gauge webhook delivery yields to: busy only while the engine has a backlog and the event
// loop is mostly busy; the loop sampled at most once per interval.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.ts';
import { LoadGauge } from './load.ts';

describe('LoadGauge', () => {
  it('is busy only while the engine is saturated and the event loop mostly busy', () => {
    const clock = new FakeClock();
    let saturated = true;
    let loop = 0.9;
    const g = new LoadGauge({ saturated: () => saturated, clock, utilisation: () => loop, threshold: 0.7, sampleMs: 100 });
    expect(g.busy()).toBe(true);
    saturated = false;
    expect(g.busy()).toBe(false);
    // A full window of attempts waiting on slow systems: saturated, but the loop is idle.
    saturated = true;
    loop = 0.2;
    clock.advance(100);
    expect(g.busy()).toBe(false);
  });

  it('samples the event loop at most once per interval and keeps the answer in between', () => {
    const clock = new FakeClock();
    let samples = 0;
    let loop = 0.9;
    const g = new LoadGauge({ saturated: () => true, clock, utilisation: () => (samples++, loop), sampleMs: 100 });
    expect(g.busy()).toBe(true);
    loop = 0.1;
    clock.advance(99);
    expect(g.busy()).toBe(true);
    expect(samples).toBe(1);
    clock.advance(1);
    expect(g.busy()).toBe(false);
    expect(samples).toBe(2);
  });
});
