// A retry policy's longest wait (maxInterval) as the forms show and send it. The API lists every
// policy with one, derived when none was chosen (the larger of an hour and the interval), so the forms
// tell a chosen one from a derived one by that same rule, here once for the action type and webhook forms.

import { parseDuration } from '../../lifecycle/duration.ts';
import { DEFAULT_RETRY_POLICY, derivedMaxInterval, maxIntervalChosen } from '../../lifecycle/retry-policy.ts';
import { durationText } from './duration.ts';

export { derivedMaxInterval, maxIntervalChosen };

/** The longest wait's box for a listed policy: a chosen one as it would be typed, empty for a derived one. */
export function maxIntervalText(r: { interval: number; maxInterval?: unknown } | null | undefined): string {
  return r && maxIntervalChosen(r) ? durationText(r.maxInterval as number) : '';
}

/**
 * The longest wait a form sends when its box is empty, for a policy whose interval is `interval` as
 * typed (else `storedMs`, what an empty interval box keeps, or the default): the one the API derives,
 * so a limit chosen before is cleared. Undefined when the interval is not a duration: the API names that.
 */
export function derivedMaxIntervalFor(interval: string, storedMs = DEFAULT_RETRY_POLICY.intervalMs): number | undefined {
  const ms = interval.trim() === '' ? storedMs : parseDuration(interval);
  return ms === undefined ? undefined : derivedMaxInterval(ms);
}
