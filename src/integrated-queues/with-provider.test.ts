import { describe, expect, it } from 'vitest';
import { withProviderNow, type IntegrationLogEntry } from './rules.ts';

const e = (
  requestType: IntegrationLogEntry['requestType'],
  direction: 'In' | 'Out',
  outcome?: IntegrationLogEntry['outcome'],
): IntegrationLogEntry => ({
  requestType,
  direction,
  at: 0,
  payload: {},
  result: '',
  actionId: direction === 'Out' ? 'a' : null,
  queue: 'q',
  ...(outcome !== undefined ? { outcome } : {}),
});

describe('withProviderNow', () => {
  it('the provider holds a task from its submission (under way or sent) until it hands it back or the submission fails', () => {
    expect(withProviderNow([])).toBe(false);
    expect(withProviderNow([e('Submit Request', 'Out', null)])).toBe(true);
    expect(withProviderNow([e('Submit Request', 'Out', 'sent'), e('Acknowledgement', 'In'), e('Update', 'In')])).toBe(true);
    expect(withProviderNow([e('Submit Request', 'Out', 'failed')])).toBe(false);
    expect(withProviderNow([e('Submit Request', 'Out', 'not_sent')])).toBe(false);
    expect(withProviderNow([e('Submit Request', 'Out', 'sent'), e('Reassigned', 'In')])).toBe(false);
    // Declined: back with the provider, unless the rejection failed.
    expect(withProviderNow([e('Submit Request', 'Out', 'sent'), e('Reassigned', 'In'), e('Resolution Rejection', 'Out', 'sent')])).toBe(
      true,
    );
    expect(withProviderNow([e('Submit Request', 'Out', 'sent'), e('Reassigned', 'In'), e('Resolution Rejection', 'Out', 'failed')])).toBe(
      false,
    );
    // An update note or a closure does not hand it over again.
    expect(withProviderNow([e('Submit Request', 'Out', 'sent'), e('Reassigned', 'In'), e('Update', 'Out', 'sent')])).toBe(false);
  });
});
