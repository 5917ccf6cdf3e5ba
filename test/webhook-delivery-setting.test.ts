// CALLOUT_WEBHOOK_DELIVERY: on (the default) or off for a node that writes the outbox but sends no
// webhooks. A bad value names the setting.

import { describe, expect, it } from 'vitest';
import { readSettings } from '../src/settings.ts';
import { ValidationError } from '../src/errors.ts';

describe('CALLOUT_WEBHOOK_DELIVERY', () => {
  it('is on unless set to off (or 0, false)', () => {
    expect(readSettings({}, {}).webhookDelivery).toBe(true);
    for (const on of ['on', 'ON', '1', 'true', ''])
      expect(readSettings({}, { CALLOUT_WEBHOOK_DELIVERY: on }).webhookDelivery, on).toBe(true);
    for (const off of ['off', 'Off', '0', 'false'])
      expect(readSettings({}, { CALLOUT_WEBHOOK_DELIVERY: off }).webhookDelivery, off).toBe(false);
  });

  it('refuses anything else, naming the setting', () => {
    let err: unknown;
    try {
      readSettings({}, { CALLOUT_WEBHOOK_DELIVERY: 'sometimes' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_WEBHOOK_DELIVERY', message: 'must be on or off' }]);
  });
});
