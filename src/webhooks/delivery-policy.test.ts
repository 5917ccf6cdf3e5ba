import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DELIVERY_SETTINGS,
  DEFAULT_SCHEDULE_MS,
  HEALTHY,
  MAX_RESPONSE_EXCERPT,
  compileDeliverySettings,
  describeOutcome,
  nextStep,
  recordAttempt,
  reenable,
  responseExcerpt,
  scheduledDelay,
  type AttemptOutcome,
  type EndpointHealth,
} from './delivery-policy.ts';
import { ValidationError } from '../errors.ts';
import { compileRetryPolicy, retryDelay } from '../lifecycle/retry-policy.ts';

const S = 1_000;
const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const http = (status: number, retryAfter?: string): AttemptOutcome => ({ kind: 'response', status, ...(retryAfter ? { retryAfter } : {}) });

/** A fake clock driving one delivery that always gets `outcome`: the times of its attempts. */
function drive(outcome: AttemptOutcome, rand = 0.5): { times: number[]; last: ReturnType<typeof nextStep> } {
  let now = T0;
  const times = [now];
  for (let attempt = 0; ; attempt++) {
    const v = nextStep(attempt, outcome, now, rand);
    if (v.result !== 'retry') return { times, last: v };
    expect(v.attempt).toBe(attempt + 1);
    now = v.at;
    times.push(now);
  }
}

describe('the retry schedule', () => {
  it('is 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: ten attempts, the last ≈ 75.6 h after the first', () => {
    const { times, last } = drive(http(500));
    expect(times).toHaveLength(10);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(DEFAULT_SCHEDULE_MS.slice(1));
    expect((times.at(-1)! - T0) / H).toBeCloseTo(75.58, 2);
    expect(last).toEqual({ result: 'failed', why: '10 attempts failed; the last: HTTP 500' });
  });

  it('varies each delay by up to 10% either way, never the first attempt', () => {
    expect(scheduledDelay(0, 0)).toBe(0);
    expect(scheduledDelay(2, 0)).toBe(Math.round(5 * 60 * S * 0.9));
    expect(scheduledDelay(2, 0.999_999)).toBeCloseTo(5 * 60 * S * 1.1, -1);
    expect(scheduledDelay(9, 0.5)).toBe(24 * H);
    expect(scheduledDelay(10, 0.5)).toBeUndefined();
  });

  it('a custom schedule replaces the default', () => {
    const s = compileDeliverySettings({ schedule: [0, '1s', '2s'], jitter: 0 });
    expect(nextStep(0, http(500), T0, 0.5, s)).toEqual({ result: 'retry', attempt: 1, at: T0 + S });
    expect(nextStep(2, http(500), T0, 0.5, s).result).toBe('failed');
  });
});

describe('what an answer means', () => {
  it('only 2xx is delivered', () => {
    for (const status of [200, 201, 204, 299]) expect(nextStep(0, http(status), T0, 0.5)).toEqual({ result: 'delivered' });
  });

  it('a 3xx is a failure and retried (redirects are never followed), like other non-2xx answers and network errors', () => {
    for (const o of [http(301), http(302), http(307), http(308), http(400), http(404), http(500), { kind: 'timeout' as const }])
      expect(nextStep(0, o, T0, 0.5)).toEqual({ result: 'retry', attempt: 1, at: T0 + 5 * S });
    expect(nextStep(3, { kind: 'connection_error', message: 'ECONNREFUSED' }, T0, 0.5).result).toBe('retry');
    expect(nextStep(3, { kind: 'refused', message: 'private address 10.0.0.1' }, T0, 0.5).result).toBe('retry');
    expect(describeOutcome(http(302))).toBe('HTTP 302 (redirects are not followed)');
  });

  it('410 Gone stops the delivery and disables the endpoint', () => {
    expect(nextStep(0, http(410), T0, 0.5)).toEqual({ result: 'endpoint_gone' });
  });

  it('429, 502, 503 and 504 honour Retry-After (seconds or a date), holding the endpoint, never sooner than the schedule', () => {
    expect(nextStep(0, http(429, '120'), T0, 0.5)).toEqual({
      result: 'retry',
      attempt: 1,
      at: T0 + 120 * S,
      holdEndpointUntil: T0 + 120 * S,
    });
    const date = new Date(T0 + 3 * H).toUTCString();
    expect(nextStep(0, http(503, date), T0, 0.5)).toMatchObject({ at: T0 + 3 * H, holdEndpointUntil: T0 + 3 * H });
    for (const status of [502, 504])
      expect(nextStep(1, http(status, '60'), T0, 0.5)).toMatchObject({ at: T0 + 5 * 60 * S, holdEndpointUntil: T0 + 60 * S });
  });

  it('caps a Retry-After at 24 h, and ignores it on other statuses or when unreadable', () => {
    expect(nextStep(0, http(429, String(7 * 24 * 3600)), T0, 0.5)).toMatchObject({ at: T0 + D, holdEndpointUntil: T0 + D });
    expect(nextStep(0, http(500, '3600'), T0, 0.5)).toEqual({ result: 'retry', attempt: 1, at: T0 + 5 * S });
    expect(nextStep(0, http(429, 'soon'), T0, 0.5)).toEqual({ result: 'retry', attempt: 1, at: T0 + 5 * S });
  });
});

describe('disabling an endpoint that keeps failing', () => {
  const fail = http(500);

  it('only after 5 days of failing everything, once, saying why', () => {
    let h: EndpointHealth = HEALTHY;
    for (let t = T0; t < T0 + 5 * D; t += 6 * H) {
      const r = recordAttempt(h, fail, t);
      expect(r.disabled).toBe(false);
      h = r.health;
    }
    expect(h.failingSince).toBe(T0);
    const r = recordAttempt(h, fail, T0 + 5 * D);
    expect(r.disabled).toBe(true);
    expect(r.health).toMatchObject({
      disabledAt: T0 + 5 * D,
      disabledReason: 'Every delivery failed since 2030-01-01T00:00:00.000Z; the last: HTTP 500',
    });
    expect(recordAttempt(r.health, fail, T0 + 6 * D)).toEqual({ health: r.health, disabled: false });
  });

  it('one exhausted delivery (≈ 75.6 h) does not disable it', () => {
    const { times } = drive(fail);
    let h: EndpointHealth = HEALTHY;
    for (const t of times) {
      const r = recordAttempt(h, fail, t);
      expect(r.disabled).toBe(false);
      h = r.health;
    }
  });

  it('one success clears the streak', () => {
    let h = recordAttempt(HEALTHY, fail, T0).health;
    h = recordAttempt(h, http(204), T0 + 4 * D).health;
    expect(h.failingSince).toBeNull();
    expect(recordAttempt(recordAttempt(h, fail, T0 + 5 * D).health, fail, T0 + 9 * D).disabled).toBe(false);
  });

  it('410 disables at once; re-enabling starts afresh', () => {
    const r = recordAttempt(HEALTHY, http(410), T0);
    expect(r).toEqual({ health: { failingSince: T0, disabledAt: T0, disabledReason: 'The endpoint answered 410 Gone' }, disabled: true });
    expect(reenable()).toEqual(HEALTHY);
  });

  it('the period is a setting', () => {
    const s = compileDeliverySettings({ autoDisableAfter: '1h' });
    const h = recordAttempt(HEALTHY, fail, T0, s).health;
    expect(recordAttempt(h, fail, T0 + H, s).disabled).toBe(true);
  });
});

describe('settings', () => {
  it('default to the schedule, 10% jitter, 5 days, a 15 s timeout and a 24 h Retry-After cap', () => {
    expect(DEFAULT_DELIVERY_SETTINGS).toEqual({
      scheduleMs: DEFAULT_SCHEDULE_MS,
      jitter: 0.1,
      autoDisableAfterMs: 5 * D,
      timeoutMs: 15 * S,
      maxRetryAfterMs: D,
    });
    expect(Object.isFrozen(DEFAULT_DELIVERY_SETTINGS)).toBe(true);
  });

  it('refuse bad values, naming each field', () => {
    try {
      compileDeliverySettings({ schedule: [0, 'soon'], jitter: 2, autoDisableAfter: 'forever', timeout: 5 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).errors?.map((x) => x.field)).toEqual([
        'webhooks.schedule[1]',
        'webhooks.jitter',
        'webhooks.autoDisableAfter',
        'webhooks.timeout',
      ]);
    }
    expect(() => compileDeliverySettings({ schedule: [] })).toThrow(/webhooks.schedule must be a list/);
  });
});

it('keeps a capped excerpt of a response body', () => {
  expect(responseExcerpt('ok')).toBe('ok');
  expect(responseExcerpt('x'.repeat(5000))).toHaveLength(MAX_RESPONSE_EXCERPT + 1);
});

describe("a subscription's own retry policy (an action type's)", () => {
  const own = (opts: Record<string, unknown>) => ({ policy: compileRetryPolicy(opts), createdAt: T0 });

  it('spaces retries by the action delay and stops after maxRetries, failing the delivery', () => {
    const retry = own({ maxRetries: 3, interval: '1s', backoff: 'exponential', backoffCoefficient: 2, maxInterval: '3s' });
    const steps = [0, 1, 2].map((n) => nextStep(n, http(500), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, retry));
    expect(steps).toEqual([1, 2, 3].map((n) => ({ result: 'retry', attempt: n, at: T0 + retryDelay(retry.policy, n, 0.5) })));
    expect(steps.map((s) => (s.result === 'retry' ? s.at - T0 : null))).toEqual([1000, 2000, 3000]);
    expect(nextStep(3, http(500), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, retry)).toEqual({
      result: 'failed',
      why: '4 attempts failed (retries exhausted: 3 of 3); the last: HTTP 500',
    });
    // maxRetries 0: the first failure is the last.
    expect(nextStep(0, http(500), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, own({ maxRetries: 0 })).result).toBe('failed');
  });

  it('retries only what retryOn names (a refused destination fails as a connection does); success and 410 mean what they always do', () => {
    const retry = own({ retryOn: ['5xx', 'connection_error'] });
    const step = (o: AttemptOutcome) => nextStep(0, o, T0, 0.5, DEFAULT_DELIVERY_SETTINGS, retry).result;
    expect(step(http(503))).toBe('retry');
    expect(step({ kind: 'refused', message: 'private network' })).toBe('retry');
    expect(step({ kind: 'timeout' })).toBe('failed');
    expect(nextStep(0, http(400), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, retry)).toEqual({
      result: 'failed',
      why: "not retried (the retry policy's retryOn leaves it out): HTTP 400",
    });
    expect(step(http(204))).toBe('delivered');
    expect(step(http(410))).toBe('endpoint_gone');
  });

  it('honours Retry-After as the schedule does, and no retry falls after the window', () => {
    const retry = own({ maxRetries: 10, interval: '1s', backoff: 'fixed', window: '1m' });
    expect(nextStep(0, http(429, '30'), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, retry)).toEqual({
      result: 'retry',
      attempt: 1,
      at: T0 + 30 * S,
      holdEndpointUntil: T0 + 30 * S,
    });
    expect(nextStep(1, http(500), T0 + 59 * S, 0.5, DEFAULT_DELIVERY_SETTINGS, retry).result).toBe('retry');
    const late = nextStep(1, http(500), T0 + 59_500, 0.5, DEFAULT_DELIVERY_SETTINGS, retry);
    expect(late).toMatchObject({ result: 'failed', why: expect.stringContaining('would fall after the retry window ends') });
  });

  it('without one, the schedule as before', () => {
    expect(nextStep(0, http(500), T0, 0.5, DEFAULT_DELIVERY_SETTINGS, null)).toEqual(nextStep(0, http(500), T0, 0.5));
    expect(nextStep(0, http(500), T0, 0.5)).toEqual({ result: 'retry', attempt: 1, at: T0 + 5 * S });
  });
});
