// Store conformance: a claim tells, per claimed action, how late it was claimed (now minus the due
// time it had before the lease replaced it), for the engine's timer lateness; on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, launched } from './stores.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  describe('claim lateness', () => {
    it('reports now minus each claimed action’s previous due time, and nothing for what is not claimed', async () => {
      await store.insertActions([3, 1, 5, 2, 4].map((k) => launched({ dueAt: T0 + k * SECOND })));
      const late: number[] = [];
      const now = T0 + 4 * SECOND;
      const claimed = await store.claimDue({ now, owner: 'n', leaseUntil: now + 30 * SECOND, limit: 3, lateness: (ms) => late.push(ms) });
      expect(claimed).toHaveLength(3);
      // The three most overdue (due at 1 s, 2 s, 3 s), not the lease they now carry.
      expect(late.sort((a, b) => a - b)).toEqual([1 * SECOND, 2 * SECOND, 3 * SECOND]);
      expect(claimed.every((a) => a.dueAt === now + 30 * SECOND)).toBe(true);

      const again: number[] = [];
      await store.claimDue({ now, owner: 'n', leaseUntil: now + 30 * SECOND, limit: 10, lateness: (ms) => again.push(ms) });
      expect(again).toEqual([0]); // due at 4 s, claimed at 4 s; the one due at 5 s is not due yet
    });

    it('claims the same way without a lateness callback', async () => {
      await store.insertActions([launched({ dueAt: T0 })]);
      expect(await store.claimDue({ now: T0 + SECOND, owner: 'n', leaseUntil: T0 + 60 * SECOND, limit: 5 })).toHaveLength(1);
    });
  });
});
