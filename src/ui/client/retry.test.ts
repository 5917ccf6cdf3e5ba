import { describe, expect, it } from 'vitest';
import { compileRetryPolicy, describeRetryPolicy } from '../../lifecycle/retry-policy.ts';
import { derivedMaxIntervalFor, maxIntervalText } from './retry.ts';

describe("the forms' longest wait", () => {
  it('is the one the API derives when the box is empty, for the interval typed (or kept)', () => {
    for (const interval of ['10s', '30m', '1h', '2h', '3d'])
      expect(derivedMaxIntervalFor(interval)).toBe(compileRetryPolicy({ interval }).maxIntervalMs);
    // An empty interval box keeps the stored interval (a PATCH) or takes the default (a new one).
    expect(derivedMaxIntervalFor('', 7_200_000)).toBe(7_200_000);
    expect(derivedMaxIntervalFor('')).toBe(compileRetryPolicy({}).maxIntervalMs);
    // Not a duration: nothing, for the API to name the interval.
    expect(derivedMaxIntervalFor('soon')).toBeUndefined();
  });

  it('shows a listed policy’s longest wait only when it is not the derived one', () => {
    const listed = (o: Record<string, unknown>) => describeRetryPolicy(compileRetryPolicy(o)) as { interval: number; maxInterval: number };
    expect(maxIntervalText(listed({ interval: '10s' }))).toBe('');
    expect(maxIntervalText(listed({ interval: '2h' }))).toBe('');
    expect(maxIntervalText(listed({ interval: '10s', maxInterval: '5m' }))).toBe('5m');
    expect(maxIntervalText(listed({ interval: '2h', maxInterval: '3h' }))).toBe('3h');
    expect(maxIntervalText(null)).toBe('');
  });
});
