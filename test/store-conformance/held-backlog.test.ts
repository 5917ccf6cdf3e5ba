// Store conformance: where a rate-limit backlog ends (the latest due time of the throttled actions of
// some action types), on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, launched, write, T0, SECOND } from './stores.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  describe('held backlogs', () => {
    it('the latest due time of the throttled actions of the given types, and of nothing else', async () => {
      expect(await store.latestHeldDueAt(['type-a'])).toBeNull();
      const a = [1, 2, 3].map((i) => launched({ actionTypeId: 'type-a', createdAt: T0 + i }));
      const b = launched({ actionTypeId: 'type-b', createdAt: T0 + 4 });
      const c = launched({ actionTypeId: 'type-a', createdAt: T0 + 5 });
      await store.insertActions([...a, b, c]);
      const held = (x: (typeof a)[number], dueAt: number) => write(x.action, { phase: 'throttled', dueAt });
      expect(
        await store.writeActions([
          held(a[0]!, T0 + 10 * SECOND),
          held(a[1]!, T0 + 30 * SECOND),
          held(b, T0 + 90 * SECOND),
          // Not held: a later due time of another kind does not count.
          write(c.action, { phase: 'retry_scheduled', dueAt: T0 + 600 * SECOND }),
        ]),
      ).toEqual([true, true, true, true]);
      expect(await store.latestHeldDueAt(['type-a'])).toBe(T0 + 30 * SECOND);
      expect(await store.latestHeldDueAt(['type-b'])).toBe(T0 + 90 * SECOND);
      expect(await store.latestHeldDueAt(['type-a', 'type-b', 'type-none'])).toBe(T0 + 90 * SECOND);
      expect(await store.latestHeldDueAt([])).toBeNull();
    });
  });
});
