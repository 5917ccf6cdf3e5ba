// When to attempt a webhook delivery again, what an answer means, and when an endpoint that keeps
// failing is disabled: pure functions over injected time, so tests step a fake clock.

import { Problems } from '../errors.ts';
import { DURATION_HINT, parseDuration, type Duration } from '../lifecycle/duration.ts';
import { parseRetryAfter } from '../engine/retry-after.ts';
import { isRetryable, retryDelay, type FailureKind, type RetryPolicy } from '../lifecycle/retry-policy.ts';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;

/** Delay before each attempt, from the previous one (Standard Webhooks' reference schedule: the last ≈ 75.6 h after the first). */
export const DEFAULT_SCHEDULE_MS: readonly number[] = Object.freeze([
  0,
  5 * S,
  5 * M,
  30 * M,
  2 * H,
  5 * H,
  10 * H,
  14 * H,
  20 * H,
  24 * H,
]);
/** Statuses that ask the sender to slow down; their Retry-After is honoured (503 added: it is the RFC's own case). */
export const SLOW_DOWN_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
export const MAX_RESPONSE_EXCERPT = 1024;

export interface DeliverySettingsOptions {
  /** Delay before each attempt, the first usually 0. @default DEFAULT_SCHEDULE_MS */
  schedule?: Duration[];
  /** Each delay varies by up to this fraction either way, so retries of many deliveries spread out. @default 0.1 */
  jitter?: number;
  /** An endpoint failing every delivery this long is disabled. @default "5d" */
  autoDisableAfter?: Duration;
  /** Request timeout of one attempt. @default "15s" */
  timeout?: Duration;
  /** A Retry-After longer than this is capped. @default "24h" */
  maxRetryAfter?: Duration;
}

export interface DeliverySettings {
  readonly scheduleMs: readonly number[];
  readonly jitter: number;
  readonly autoDisableAfterMs: number;
  readonly timeoutMs: number;
  readonly maxRetryAfterMs: number;
}

/** Validates the options, naming the field at fault, and returns frozen settings. */
export function compileDeliverySettings(opts: unknown = {}, prefix = 'webhooks'): DeliverySettings {
  const p = new Problems();
  const o = (opts ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) p.add(prefix, 'must be an object');
  const duration = (key: string, fallback: number, min: number): number => {
    if (o[key] === undefined) return fallback;
    const ms = parseDuration(o[key]);
    if (ms === undefined) p.add(`${prefix}.${key}`, DURATION_HINT);
    else if (ms < min) p.add(`${prefix}.${key}`, `must be at least ${min} ms`);
    return ms ?? fallback;
  };
  let scheduleMs = DEFAULT_SCHEDULE_MS;
  if (o.schedule !== undefined) {
    if (!Array.isArray(o.schedule) || o.schedule.length < 1 || o.schedule.length > 50)
      p.add(`${prefix}.schedule`, 'must be a list of 1 to 50 durations');
    else
      scheduleMs = o.schedule.map((d, i) => {
        const ms = parseDuration(d);
        if (ms === undefined) p.add(`${prefix}.schedule[${i}]`, DURATION_HINT);
        return ms ?? 0;
      });
  }
  const jitter = o.jitter ?? 0.1;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) p.add(`${prefix}.jitter`, 'must be a number from 0 to 1');
  const settings = {
    scheduleMs: Object.freeze([...scheduleMs]),
    jitter: typeof jitter === 'number' ? jitter : 0.1,
    autoDisableAfterMs: duration('autoDisableAfter', 5 * 24 * H, M),
    timeoutMs: duration('timeout', 15 * S, 100),
    maxRetryAfterMs: duration('maxRetryAfter', 24 * H, 0),
  };
  p.throwIfAny();
  return Object.freeze(settings);
}

export const DEFAULT_DELIVERY_SETTINGS = compileDeliverySettings();

/** What one attempt got. The sender never follows redirects: a 3xx is an answer like any other. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfter?: string | null }
  | { kind: 'connection_error'; message: string }
  | { kind: 'timeout' }
  /** The destination was refused before sending (private network, DNS): retried, it may change. */
  | { kind: 'refused'; message: string };

export type AttemptVerdict =
  | { result: 'delivered' }
  /** Attempt `attempt` (counting from 0) is due at `at`; `holdEndpointUntil` pauses the endpoint's other deliveries too. */
  | { result: 'retry'; attempt: number; at: number; holdEndpointUntil?: number }
  | { result: 'failed'; why: string }
  /** 410 Gone: the receiver asked for no more deliveries; the subscription is disabled. */
  | { result: 'endpoint_gone' };

/** A short description of an outcome for the attempt list and the delivery's last error. */
export function describeOutcome(o: AttemptOutcome): string {
  switch (o.kind) {
    case 'response':
      return o.status >= 300 && o.status < 400 ? `HTTP ${o.status} (redirects are not followed)` : `HTTP ${o.status}`;
    case 'connection_error':
      return `connection error: ${o.message}`;
    case 'timeout':
      return 'timed out';
    case 'refused':
      return `not sent: ${o.message}`;
  }
}

export const isSuccess = (o: AttemptOutcome): boolean => o.kind === 'response' && o.status >= 200 && o.status < 300;

/**
 * The delay before attempt `attempt` (from 0): the schedule's entry varied by ±jitter (`rand` in [0,1)),
 * or undefined when the schedule has no more attempts.
 */
export function scheduledDelay(attempt: number, rand: number, s: DeliverySettings = DEFAULT_DELIVERY_SETTINGS): number | undefined {
  const base = s.scheduleMs[attempt];
  if (base === undefined) return undefined;
  return Math.round(base * (1 + s.jitter * (2 * rand - 1)));
}

/** A subscription's own retry policy (an action type's), and when its delivery was made (the start of the policy's window). */
export interface DeliveryRetry {
  policy: RetryPolicy;
  createdAt: number;
}

/** An outcome in a retry policy's words: a destination refused before sending fails as a connection does. */
function failureOf(o: AttemptOutcome): { kind: FailureKind; status?: number } {
  if (o.kind === 'response') return { kind: 'status', status: o.status };
  return { kind: o.kind === 'timeout' ? 'timeout' : 'connection_error' };
}

/**
 * What happens after attempt `attempt` (from 0) ended with `outcome` at `now`: on the deployment's
 * schedule, or with `retry` on the subscription's retry policy, by the same rules and delay as an
 * action's (retryOn, maxRetries, backoff, window). A Retry-After is honoured either way.
 */
export function nextStep(
  attempt: number,
  outcome: AttemptOutcome,
  now: number,
  rand: number,
  s: DeliverySettings = DEFAULT_DELIVERY_SETTINGS,
  retry?: DeliveryRetry | null,
): AttemptVerdict {
  if (isSuccess(outcome)) return { result: 'delivered' };
  if (outcome.kind === 'response' && outcome.status === 410) return { result: 'endpoint_gone' };
  let delay: number | undefined;
  if (retry) {
    const { policy } = retry;
    const { kind, status } = failureOf(outcome);
    if (!isRetryable(policy, kind, status))
      return { result: 'failed', why: `not retried (the retry policy's retryOn leaves it out): ${describeOutcome(outcome)}` };
    if (attempt >= policy.maxRetries)
      return {
        result: 'failed',
        why: `${attempt + 1} attempts failed (retries exhausted: ${attempt} of ${policy.maxRetries}); the last: ${describeOutcome(outcome)}`,
      };
    delay = retryDelay(policy, attempt + 1, rand);
  } else {
    delay = scheduledDelay(attempt + 1, rand, s);
    if (delay === undefined)
      return { result: 'failed', why: `${s.scheduleMs.length} attempts failed; the last: ${describeOutcome(outcome)}` };
  }
  let step: AttemptVerdict & { result: 'retry' } = { result: 'retry', attempt: attempt + 1, at: now + delay };
  if (outcome.kind === 'response' && SLOW_DOWN_STATUSES.has(outcome.status) && outcome.retryAfter) {
    const asked = parseRetryAfter(outcome.retryAfter, now);
    if (asked !== undefined) {
      const hold = Math.min(asked, s.maxRetryAfterMs);
      // Never sooner than the schedule; not later than the receiver asked (capped).
      step = { result: 'retry', attempt: attempt + 1, at: now + Math.max(delay, hold), holdEndpointUntil: now + hold };
    }
  }
  // As an action's: no retry later than the policy's window allows.
  const windowEnd = retry && retry.policy.windowMs !== null ? retry.createdAt + retry.policy.windowMs : null;
  if (windowEnd !== null && step.at > windowEnd)
    return {
      result: 'failed',
      why: `${attempt + 1} attempts failed (the next, at ${new Date(step.at).toISOString()}, would fall after the retry window ends at ${new Date(windowEnd).toISOString()}); the last: ${describeOutcome(outcome)}`,
    };
  return step;
}

/** A subscription's delivery health: when it started failing every delivery, and whether it is disabled. */
export interface EndpointHealth {
  failingSince: number | null;
  disabledAt: number | null;
  disabledReason: string | null;
}

export const HEALTHY: EndpointHealth = Object.freeze({ failingSince: null, disabledAt: null, disabledReason: null });

/**
 * The endpoint's health after an attempt. One success clears the failure streak; an endpoint is
 * disabled on 410, or when it has failed everything for `autoDisableAfterMs` (days, not one
 * exhausted event). `disabled` is true only when this attempt disabled it, so the engine notifies once.
 */
export function recordAttempt(
  health: EndpointHealth,
  outcome: AttemptOutcome,
  now: number,
  s: DeliverySettings = DEFAULT_DELIVERY_SETTINGS,
): { health: EndpointHealth; disabled: boolean } {
  if (health.disabledAt !== null) return { health, disabled: false };
  if (isSuccess(outcome)) return { health: health.failingSince === null ? health : { ...health, failingSince: null }, disabled: false };
  const failingSince = health.failingSince ?? now;
  if (outcome.kind === 'response' && outcome.status === 410)
    return { health: { failingSince, disabledAt: now, disabledReason: 'The endpoint answered 410 Gone' }, disabled: true };
  if (now - failingSince >= s.autoDisableAfterMs)
    return {
      health: {
        failingSince,
        disabledAt: now,
        disabledReason: `Every delivery failed since ${new Date(failingSince).toISOString()}; the last: ${describeOutcome(outcome)}`,
      },
      disabled: true,
    };
  return { health: { ...health, failingSince }, disabled: false };
}

/** Re-enabling clears the streak; held deliveries then go out (nothing is dropped while disabled). */
export const reenable = (): EndpointHealth => HEALTHY;

/** The part of a response body kept with an attempt. */
export function responseExcerpt(body: string): string {
  return body.length > MAX_RESPONSE_EXCERPT ? `${body.slice(0, MAX_RESPONSE_EXCERPT)}…` : body;
}
