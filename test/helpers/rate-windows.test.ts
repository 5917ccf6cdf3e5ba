import { describe, expect, it } from 'vitest';
import { overLimit, perWindow } from './rate-windows.ts';

const at = (window: number, ms: number, n = 1) => Array<number>(n).fill(window * 1000 + ms);

describe('overLimit', () => {
  it('passes arrivals within the limit in every window', () => {
    expect(overLimit([...at(10, 50, 20), ...at(11, 50, 20)], 1000, 20, 0)).toBeNull();
  });

  it('lets a late window of arrivals count in the window before, when that one has room', () => {
    // Twenty started at the end of window 10 arrived early in 11, beside window 11's own twenty.
    const times = [...at(11, 30, 20), ...at(11, 60, 20)];
    expect(Math.max(...perWindow(times, 1000).values())).toBe(40);
    expect(overLimit(times, 1000, 20, 100)).toBeNull();
  });

  it('finds an overshoot the transit allowance cannot explain', () => {
    // Window 10 already had its twenty: the forty in 11 cannot all be 11's.
    expect(overLimit([...at(10, 500, 20), ...at(11, 30, 40)], 1000, 20, 100)).toMatch(/windows full \(20 each\)/);
    // Arrivals later in the window than the allowance reaches back are the window's own.
    expect(overLimit(at(11, 300, 21), 1000, 20, 100)).toMatch(/even allowing 100 ms in transit/);
  });
});
