import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import {
  DEFAULT_RETRY_POLICY,
  RETRY_CONDITIONS,
  compileRetryPolicy,
  describeRetryPolicy,
  isRetryable,
  retryDelay,
} from './retry-policy.ts';

/** The field problems a bad policy is rejected with. */
function problems(opts: unknown): Array<{ field: string; message: string }> {
  try {
    compileRetryPolicy(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).errors ?? [];
  }
  throw new Error('expected a ValidationError');
}

function messageOf(opts: unknown): string {
  try {
    compileRetryPolicy(opts);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('compileRetryPolicy defaults', () => {
  it('has the documented defaults: 3 retries, 30 s exponential doubling, capped at 1 h, no jitter, no window, the standard conditions', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxRetries: 3,
      intervalMs: 30_000,
      backoff: 'exponential',
      backoffCoefficient: 2,
      maxIntervalMs: 3_600_000,
      jitter: 0,
      windowMs: null,
      retryOn: ['connection_error', 'timeout', '5xx', '408', '429'],
    });
    expect(compileRetryPolicy(undefined)).toBe(DEFAULT_RETRY_POLICY);
    expect(compileRetryPolicy(null)).toBe(DEFAULT_RETRY_POLICY);
    expect(compileRetryPolicy({})).toEqual(DEFAULT_RETRY_POLICY);
    expect(RETRY_CONDITIONS).toEqual(['connection_error', 'timeout', '5xx', '408', '429']);
  });

  it('compiles options into normalised milliseconds and freezes the result', () => {
    const p = compileRetryPolicy({
      maxRetries: 5,
      interval: '10s',
      backoff: 'fixed',
      backoffCoefficient: 3,
      maxInterval: '5m',
      jitter: 0.1,
      window: '1h',
      retryOn: ['timeout', 503, '4xx'],
    });
    expect(p).toEqual({
      maxRetries: 5,
      intervalMs: 10_000,
      backoff: 'fixed',
      backoffCoefficient: 3,
      maxIntervalMs: 300_000,
      jitter: 0.1,
      windowMs: 3_600_000,
      retryOn: ['timeout', '503', '4xx'],
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.retryOn)).toBe(true);
  });

  it('raises the default maxInterval to an interval longer than one hour', () => {
    expect(compileRetryPolicy({ interval: '2h' }).maxIntervalMs).toBe(7_200_000);
  });

  it('accepts maxRetries 0 and an empty retryOn (nothing is retried)', () => {
    expect(compileRetryPolicy({ maxRetries: 0 }).maxRetries).toBe(0);
    expect(compileRetryPolicy({ retryOn: [] }).retryOn).toEqual([]);
  });

  it('describes a compiled policy in option form that compiles back to the same policy', () => {
    const p = compileRetryPolicy({ maxRetries: 7, interval: '1m', window: '1d', retryOn: ['5xx'] });
    const d = describeRetryPolicy(p);
    expect(d).toMatchObject({ maxRetries: 7, interval: 60_000, window: 86_400_000, retryOn: ['5xx'] });
    expect(compileRetryPolicy(d)).toEqual(p);
    expect('window' in describeRetryPolicy(DEFAULT_RETRY_POLICY)).toBe(false);
  });
});

describe('compileRetryPolicy validation names the field', () => {
  it('retry.maxInterval cannot be less than interval', () => {
    expect(problems({ interval: '1m', maxInterval: '30s' })).toEqual([
      { field: 'retry.maxInterval', message: 'cannot be less than interval' },
    ]);
    expect(messageOf({ interval: '1m', maxInterval: '30s' })).toBe('retry.maxInterval cannot be less than interval');
  });

  it('rejects an unknown key', () => {
    expect(problems({ maxRetry: 3 })).toEqual([{ field: 'retry.maxRetry', message: 'is not a retry policy setting' }]);
  });

  it.each(['interval', 'maxInterval', 'window'])('rejects a bad duration in %s', (key) => {
    const found = problems({ [key]: 'soon' });
    expect(found.map((f) => f.field)).toContain(`retry.${key}`);
    expect(found.find((f) => f.field === `retry.${key}`)!.message).toMatch(/must be a duration/);
  });

  it('rejects a bad retryOn entry by its index', () => {
    const found = problems({ retryOn: ['timeout', 'sometimes', 503, 'teapot'] });
    expect(found.map((f) => f.field)).toEqual(['retry.retryOn[1]', 'retry.retryOn[3]']);
    expect(found[0]!.message).toMatch(/must be one of connection_error, timeout, 5xx, 408, 429/);
  });

  it('rejects retryOn that is not an array', () => {
    expect(problems({ retryOn: '5xx' })).toEqual([{ field: 'retry.retryOn', message: 'must be an array of conditions' }]);
  });

  it.each([-1, 1.5, 1001, '3'])('rejects maxRetries %j', (maxRetries) => {
    expect(problems({ maxRetries })).toEqual([{ field: 'retry.maxRetries', message: 'must be an integer from 0 to 1000' }]);
  });

  it('rejects a bad backoff, coefficient and jitter', () => {
    expect(problems({ backoff: 'linear' })).toEqual([{ field: 'retry.backoff', message: 'must be "fixed" or "exponential"' }]);
    expect(problems({ backoffCoefficient: 0.5 })).toEqual([
      { field: 'retry.backoffCoefficient', message: 'must be a number from 1 to 100' },
    ]);
    expect(problems({ backoffCoefficient: '2' })[0]!.field).toBe('retry.backoffCoefficient');
    expect(problems({ jitter: 1.5 })).toEqual([{ field: 'retry.jitter', message: 'must be a number from 0 to 1' }]);
    expect(problems({ jitter: -0.1 })[0]!.field).toBe('retry.jitter');
  });

  it('rejects a zero window', () => {
    expect(problems({ window: 0 })).toEqual([{ field: 'retry.window', message: 'must be longer than 0' }]);
  });

  it('rejects a policy that is not an object', () => {
    expect(problems('3 retries')).toEqual([{ field: 'retry', message: 'must be an object' }]);
    expect(problems([1])).toEqual([{ field: 'retry', message: 'must be an object' }]);
  });

  it('reports every problem at once, under the given prefix', () => {
    try {
      compileRetryPolicy({ maxRetries: -1, jitter: 2, colour: 'red' }, 'actionTypes[0].retry');
      throw new Error('expected a ValidationError');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const fields = (err as ValidationError).errors!.map((e) => e.field).sort();
      expect(fields).toEqual(['actionTypes[0].retry.colour', 'actionTypes[0].retry.jitter', 'actionTypes[0].retry.maxRetries']);
      expect((err as ValidationError).code).toBe('VALIDATION_FAILED');
      expect((err as ValidationError).status).toBe(422);
    }
  });
});

describe('isRetryable', () => {
  const p = DEFAULT_RETRY_POLICY;

  it('retries connection errors, attempt timeouts, 5xx, 408 and 429 by default', () => {
    expect(isRetryable(p, 'connection_error')).toBe(true);
    expect(isRetryable(p, 'timeout')).toBe(true);
    for (const s of [500, 502, 503, 504, 599, 408, 429]) expect(isRetryable(p, 'status', s)).toBe(true);
  });

  it('does not retry other 4xx answers, or a status it does not know', () => {
    for (const s of [400, 401, 403, 404, 409, 422]) expect(isRetryable(p, 'status', s)).toBe(false);
    expect(isRetryable(p, 'status')).toBe(false);
  });

  it('follows retryOn: specific statuses, classes, and excluded conditions', () => {
    const only = compileRetryPolicy({ retryOn: ['503', '4xx'] });
    expect(isRetryable(only, 'status', 503)).toBe(true);
    expect(isRetryable(only, 'status', 500)).toBe(false);
    expect(isRetryable(only, 'status', 404)).toBe(true);
    expect(isRetryable(only, 'connection_error')).toBe(false);
    expect(isRetryable(only, 'timeout')).toBe(false);
  });
});

describe('retryDelay', () => {
  it('exponential backoff doubles the delay each retry and stops at maxInterval', () => {
    const p = compileRetryPolicy({ interval: '1s', maxInterval: '10s' });
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => retryDelay(p, n, 0.5))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('uses backoffCoefficient as the growth factor', () => {
    const p = compileRetryPolicy({ interval: '1s', backoffCoefficient: 3, maxInterval: '1h' });
    expect([1, 2, 3].map((n) => retryDelay(p, n, 0.5))).toEqual([1000, 3000, 9000]);
  });

  it('fixed backoff keeps the interval', () => {
    const p = compileRetryPolicy({ interval: '45s', backoff: 'fixed' });
    expect([1, 2, 10].map((n) => retryDelay(p, n, 0.5))).toEqual([45_000, 45_000, 45_000]);
  });

  it('jitter is bounded by ±jitter and driven by rand', () => {
    const p = compileRetryPolicy({ interval: '10s', backoff: 'fixed', jitter: 0.1 });
    expect(retryDelay(p, 1, 0)).toBe(9000);
    expect(retryDelay(p, 1, 0.5)).toBe(10000);
    expect(retryDelay(p, 1, 0.25)).toBe(9500);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(p, 1, i / 100);
      expect(d).toBeGreaterThanOrEqual(9000);
      expect(d).toBeLessThanOrEqual(11000);
    }
    expect(retryDelay(p, 1, 0.123)).toBe(retryDelay(p, 1, 0.123));
  });

  it('without jitter rand changes nothing', () => {
    const p = compileRetryPolicy({ interval: '10s', backoff: 'fixed' });
    expect(retryDelay(p, 1, 0)).toBe(retryDelay(p, 1, 0.99));
  });

  it('a Retry-After is a floor, not a replacement', () => {
    const p = compileRetryPolicy({ interval: '10s', backoff: 'fixed', maxInterval: '1m' });
    expect(retryDelay(p, 1, 0.5, 120_000)).toBe(120_000);
    expect(retryDelay(p, 1, 0.5, 3_000)).toBe(10_000);
    expect(retryDelay(p, 1, 0.5, 0)).toBe(10_000);
  });

  it('stays a number for a zero interval however late the retry', () => {
    const p = compileRetryPolicy({ interval: 0, backoffCoefficient: 100, maxRetries: 1000 });
    expect(retryDelay(p, 1, 0.5)).toBe(0);
    expect(retryDelay(p, 1000, 0.5)).toBe(0);
    const big = compileRetryPolicy({ interval: '1s', backoffCoefficient: 100, maxInterval: '1h', maxRetries: 1000 });
    expect(retryDelay(big, 1000, 0.5)).toBe(3_600_000);
  });
});
