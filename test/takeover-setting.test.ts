// CALLOUT_TAKEOVER_AFTER (and --takeover-after): how long a node may miss its heartbeat before its
// work is taken over. Unset: the engine's default (10 s). Bad values name the setting.

import { describe, expect, it } from 'vitest';
import { readSettings, SQLITE_THREAD_DEFAULT } from '../src/settings.ts';
import { ValidationError } from '../src/errors.ts';

describe('CALLOUT_TAKEOVER_AFTER', () => {
  it('is a duration; the flag wins over the environment; unset leaves the default to the engine', () => {
    expect(readSettings({}, {}).takeoverAfterMs).toBeUndefined();
    expect(readSettings({}, { CALLOUT_TAKEOVER_AFTER: '5s' }).takeoverAfterMs).toBe(5000);
    expect(readSettings({}, { CALLOUT_TAKEOVER_AFTER: '2500' }).takeoverAfterMs).toBe(2500);
    expect(readSettings({ takeoverAfter: '30s' }, { CALLOUT_TAKEOVER_AFTER: '5s' }).takeoverAfterMs).toBe(30_000);
  });

  it('refuses what is not a duration between 1 s and 1 h, naming the setting', () => {
    for (const bad of ['soon', '500ms', '2h', '-1s']) {
      let err: unknown;
      try {
        readSettings({}, { CALLOUT_TAKEOVER_AFTER: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_TAKEOVER_AFTER', message: expect.any(String) }]);
    }
  });
});

describe('CALLOUT_SQLITE_THREAD', () => {
  it('is 1 or 0; unset, the default', () => {
    expect(readSettings({}, {}).sqliteThread).toBe(SQLITE_THREAD_DEFAULT);
    expect(readSettings({}, { CALLOUT_SQLITE_THREAD: '1' }).sqliteThread).toBe(true);
    expect(readSettings({}, { CALLOUT_SQLITE_THREAD: 'false' }).sqliteThread).toBe(false);
    let err: unknown;
    try {
      readSettings({}, { CALLOUT_SQLITE_THREAD: 'yes' });
    } catch (e) {
      err = e;
    }
    expect((err as ValidationError).errors).toEqual([{ field: 'CALLOUT_SQLITE_THREAD', message: 'must be 1 or 0' }]);
  });
});
