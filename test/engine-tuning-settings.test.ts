// CALLOUT_POLL_INTERVAL and CALLOUT_LEASE_MARGIN: durations within bounds an idle or a dying node can
// live with. `CALLOUT_POLL_INTERVAL=0` had an idle node query its store without pause, and `30d`
// overflowed Node's timer, which then fired at once, thousands of times a second, each with a warning.

import { describe, expect, it } from 'vitest';
import { readSettings } from '../src/settings.ts';
import { ValidationError } from '../src/errors.ts';
import { systemClock } from '../src/clock.ts';
import { settingsRefusal as refusal } from './helpers/settings.ts';

describe('engine tuning settings', () => {
  it('take durations within their bounds', () => {
    expect(readSettings({}, { CALLOUT_POLL_INTERVAL: '10ms', CALLOUT_LEASE_MARGIN: '1s' })).toMatchObject({
      pollIntervalMs: 10,
      leaseMarginMs: 1000,
    });
    expect(readSettings({}, { CALLOUT_POLL_INTERVAL: '1h', CALLOUT_LEASE_MARGIN: '3600000' })).toMatchObject({
      pollIntervalMs: 3_600_000,
      leaseMarginMs: 3_600_000,
    });
  });

  it('refuse a poll interval outside 10 ms to 1 h, and a lease margin outside 1 s to 1 h, naming the setting', () => {
    for (const [name, bad, bounds] of [
      ['CALLOUT_POLL_INTERVAL', '0', 'between 10ms and 1h'],
      ['CALLOUT_POLL_INTERVAL', '5ms', 'between 10ms and 1h'],
      ['CALLOUT_POLL_INTERVAL', '30d', 'between 10ms and 1h'],
      ['CALLOUT_LEASE_MARGIN', '0', 'between 1s and 1h'],
      ['CALLOUT_LEASE_MARGIN', '2h', 'between 1s and 1h'],
    ] as const) {
      const err = refusal({ [name]: bad });
      expect(err, `${name}=${bad}`).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors).toEqual([{ field: name, message: `must be ${bounds}` }]);
    }
  });
});

describe('the system clock', () => {
  it('does not fire a timer set past 24.8 days at once', async () => {
    let fired = 0;
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const t = systemClock.setTimer(30 * 86_400_000, () => fired++);
      await new Promise((r) => setTimeout(r, 50));
      t.cancel();
    } finally {
      process.off('warning', onWarning);
    }
    expect(fired).toBe(0);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});
