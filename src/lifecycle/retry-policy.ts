// Retry policies as data: user options with documented defaults, compiled once into frozen,
// normalised values, and the pure math that says when (and whether) the next retry happens.

import { type Duration, DURATION_HINT, parseDuration } from './duration.ts';
import { Problems } from '../errors.ts';

/** The failure conditions a policy can retry on. A specific status such as "503" also works. */
export const RETRY_CONDITIONS = ['connection_error', 'timeout', '5xx', '408', '429'] as const;

export interface RetryPolicyOptions {
  /** Retries after the first attempt: 5 means up to 6 attempts. @default 3 */
  maxRetries?: number;
  /** Delay before the first retry. @default "30s" */
  interval?: Duration;
  /** `fixed` keeps the interval; `exponential` multiplies it by backoffCoefficient each retry. @default "exponential" */
  backoff?: 'fixed' | 'exponential';
  /** Multiplier for exponential backoff. @default 2 */
  backoffCoefficient?: number;
  /** Upper bound of any one delay. @default "1h" */
  maxInterval?: Duration;
  /** Random spread as a share of the delay (0.1 = ±10 %), so failing actions do not retry in lockstep. @default 0 */
  jitter?: number;
  /** No retry is scheduled later than launch + window. @default none */
  window?: Duration;
  /** Failure conditions that are retried. @default ["connection_error","timeout","5xx","408","429"] */
  retryOn?: Array<string | number>;
}

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly intervalMs: number;
  readonly backoff: 'fixed' | 'exponential';
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
  readonly jitter: number;
  readonly windowMs: number | null;
  readonly retryOn: readonly string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  intervalMs: 30_000,
  backoff: 'exponential',
  backoffCoefficient: 2,
  maxIntervalMs: 3_600_000,
  jitter: 0,
  windowMs: null,
  retryOn: Object.freeze([...RETRY_CONDITIONS]),
});

/** Validates options (naming each bad field under `prefix`) and returns a frozen policy. */
export function compileRetryPolicy(opts: unknown, prefix = 'retry'): RetryPolicy {
  const p = new Problems();
  if (opts === undefined || opts === null) return DEFAULT_RETRY_POLICY;
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    p.add(prefix, 'must be an object');
    p.throwIfAny();
  }
  const o = opts as Record<string, unknown>;
  const known = new Set(['maxRetries', 'interval', 'backoff', 'backoffCoefficient', 'maxInterval', 'jitter', 'window', 'retryOn']);
  for (const k of Object.keys(o)) if (!known.has(k)) p.add(`${prefix}.${k}`, 'is not a retry policy setting');

  const d = DEFAULT_RETRY_POLICY;
  let maxRetries = d.maxRetries;
  if (o.maxRetries !== undefined) {
    if (!Number.isInteger(o.maxRetries) || (o.maxRetries as number) < 0 || (o.maxRetries as number) > 1000)
      p.add(`${prefix}.maxRetries`, 'must be an integer from 0 to 1000');
    else maxRetries = o.maxRetries as number;
  }
  const dur = (key: string, fallback: number | null): number | null => {
    if (o[key] === undefined || o[key] === null) return fallback;
    const ms = parseDuration(o[key]);
    if (ms === undefined) {
      p.add(`${prefix}.${key}`, DURATION_HINT);
      return fallback;
    }
    return ms;
  };
  const intervalMs = dur('interval', d.intervalMs)!;
  const maxIntervalMs = dur('maxInterval', Math.max(d.maxIntervalMs, intervalMs))!;
  const windowMs = dur('window', null);
  let backoff = d.backoff;
  if (o.backoff !== undefined) {
    if (o.backoff !== 'fixed' && o.backoff !== 'exponential') p.add(`${prefix}.backoff`, 'must be "fixed" or "exponential"');
    else backoff = o.backoff;
  }
  let backoffCoefficient = d.backoffCoefficient;
  if (o.backoffCoefficient !== undefined) {
    if (typeof o.backoffCoefficient !== 'number' || !(o.backoffCoefficient >= 1) || o.backoffCoefficient > 100)
      p.add(`${prefix}.backoffCoefficient`, 'must be a number from 1 to 100');
    else backoffCoefficient = o.backoffCoefficient;
  }
  let jitter = d.jitter;
  if (o.jitter !== undefined) {
    if (typeof o.jitter !== 'number' || !(o.jitter >= 0 && o.jitter <= 1)) p.add(`${prefix}.jitter`, 'must be a number from 0 to 1');
    else jitter = o.jitter;
  }
  let retryOn: string[] = [...d.retryOn];
  if (o.retryOn !== undefined) {
    if (!Array.isArray(o.retryOn)) p.add(`${prefix}.retryOn`, 'must be an array of conditions');
    else {
      retryOn = [];
      o.retryOn.forEach((c, i) => {
        const s = String(c);
        // Each condition once: a list of the same ones repeated (ten thousand "5xx") is kept no longer
        // than the distinct ones, which are bounded (three words, 500 codes, five classes).
        if ((RETRY_CONDITIONS as readonly string[]).includes(s) || /^[1-5]\d\d$/.test(s) || /^[1-5]xx$/.test(s)) {
          if (!retryOn.includes(s)) retryOn.push(s);
        } else
          p.add(
            `${prefix}.retryOn[${i}]`,
            `must be one of ${RETRY_CONDITIONS.join(', ')}, a status code such as "503", or a class such as "5xx"`,
          );
      });
    }
  }
  if (maxIntervalMs < intervalMs) p.add(`${prefix}.maxInterval`, 'cannot be less than interval');
  if (windowMs !== null && windowMs <= 0) p.add(`${prefix}.window`, 'must be longer than 0');
  p.throwIfAny();
  return Object.freeze({
    maxRetries,
    intervalMs,
    backoff,
    backoffCoefficient,
    maxIntervalMs,
    jitter,
    windowMs,
    retryOn: Object.freeze(retryOn),
  });
}

/** Turns a compiled policy back into its option form (for the API and export). */
export function describeRetryPolicy(p: RetryPolicy): RetryPolicyOptions {
  return {
    maxRetries: p.maxRetries,
    interval: p.intervalMs,
    backoff: p.backoff,
    backoffCoefficient: p.backoffCoefficient,
    maxInterval: p.maxIntervalMs,
    jitter: p.jitter,
    ...(p.windowMs !== null ? { window: p.windowMs } : {}),
    retryOn: [...p.retryOn],
  };
}

/** How a failed attempt failed, in the policy's words. */
export type FailureKind = 'connection_error' | 'timeout' | 'status';

export function isRetryable(policy: RetryPolicy, kind: FailureKind, status?: number): boolean {
  if (kind !== 'status') return policy.retryOn.includes(kind);
  if (status === undefined) return false;
  const s = String(status);
  return policy.retryOn.includes(s) || policy.retryOn.includes(`${s[0]}xx`);
}

/**
 * Delay before retry number `retryNumber` (1 for the first retry). `rand` in [0,1) drives the jitter
 * so the function stays pure; a Retry-After from the server is a floor, not a replacement.
 */
export function retryDelay(policy: RetryPolicy, retryNumber: number, rand: number, retryAfterMs?: number): number {
  const growth = policy.backoff === 'exponential' ? Math.pow(policy.backoffCoefficient, Math.max(0, retryNumber - 1)) : 1;
  // A zero interval stays zero: 0 * Infinity (a large coefficient ** a late retry) would be NaN.
  let delay = policy.intervalMs === 0 ? 0 : Math.min(policy.intervalMs * growth, policy.maxIntervalMs);
  // Jitter spreads retries, but never past maxInterval, which the policy promises as a bound.
  if (policy.jitter > 0) delay = Math.min(delay * (1 + policy.jitter * (2 * rand - 1)), policy.maxIntervalMs);
  delay = Math.max(0, Math.round(delay));
  if (retryAfterMs !== undefined && retryAfterMs > delay) delay = retryAfterMs;
  return delay;
}

/** The longest wait a policy that names none gets: the larger of the default (an hour) and its interval. */
export function derivedMaxInterval(intervalMs: number): number {
  return Math.max(DEFAULT_RETRY_POLICY.maxIntervalMs, intervalMs);
}

/**
 * Whether a described policy's longest wait was chosen: one other than the one derived from its
 * interval (a described policy always lists one, so this is how a chosen one is told from a derived one).
 */
export function maxIntervalChosen(r: { interval: number; maxInterval?: unknown }): boolean {
  return typeof r.maxInterval === 'number' && r.maxInterval !== derivedMaxInterval(r.interval);
}
