// Store conformance: a claim tells the due time each claimed action had before the lease replaced it
// (for the engine's timer lateness, and for when to send an action claimed ahead), and claims ahead
// of `now` up to `dueBy`; on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, launched } from './stores.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  describe('claim due times', () => {
    it('reports each claimed action’s previous due time, by its index in the result, and nothing for what is not claimed', async () => {
      const inserted = [3, 1, 5, 2, 4].map((k) => launched({ dueAt: T0 + k * SECOND }));
      await store.insertActions(inserted);
      const dueOf = new Map(inserted.map((n) => [n.action.id, n.action.dueAt]));
      const dues: number[] = [];
      const now = T0 + 4 * SECOND;
      const claimed = await store.claimDue({ now, owner: 'n', leaseUntil: now + 30 * SECOND, limit: 3, dueTimes: (d, i) => (dues[i] = d) });
      expect(claimed).toHaveLength(3);
      // The three most overdue (due at 1 s, 2 s, 3 s), each beside its own row, not the lease they now carry.
      expect(dues).toEqual(claimed.map((a) => dueOf.get(a.id)));
      expect([...dues].sort((a, b) => a - b)).toEqual([T0 + 1 * SECOND, T0 + 2 * SECOND, T0 + 3 * SECOND]);
      expect(claimed.every((a) => a.dueAt === now + 30 * SECOND)).toBe(true);

      const again: number[] = [];
      await store.claimDue({ now, owner: 'n', leaseUntil: now + 30 * SECOND, limit: 10, dueTimes: (d) => again.push(d) });
      expect(again).toEqual([T0 + 4 * SECOND]); // the one due at 5 s is not due yet
    });

    it('claims ahead up to dueBy, and no further', async () => {
      await store.insertActions([100, 250, 400].map((ms) => launched({ dueAt: T0 + ms })));
      const dues: number[] = [];
      const claimed = await store.claimDue({
        now: T0,
        dueBy: T0 + 300,
        owner: 'n',
        leaseUntil: T0 + 30 * SECOND,
        limit: 10,
        dueTimes: (d, i) => (dues[i] = d),
      });
      expect(claimed).toHaveLength(2);
      expect([...dues].sort((a, b) => a - b)).toEqual([T0 + 100, T0 + 250]);
      expect(claimed.every((a) => a.phase === 'sending' && a.dueAt === T0 + 30 * SECOND)).toBe(true);
      expect(await store.nextDueAt()).toBe(T0 + 400);
    });

    it('reports the phase each claimed action had before the claim made it sending, by its index', async () => {
      const queued = launched({ dueAt: T0 + 100 });
      const retry = launched({ dueAt: T0 + 200, phase: 'retry_scheduled' });
      const callback = launched({ dueAt: T0 + 300, phase: 'awaiting_callback' });
      await store.insertActions([callback, retry, queued]);
      const phases: Array<string | null> = [];
      const claimed = await store.claimDue({
        now: T0,
        dueBy: T0 + 400,
        owner: 'n',
        leaseUntil: T0 + 30 * SECOND,
        limit: 10,
        dueTimes: (_d, i, phase) => (phases[i] = phase),
      });
      const was = new Map(claimed.map((a, i) => [a.id, { before: phases[i], now: a.phase }]));
      expect(was.get(queued.action.id)).toEqual({ before: 'queued', now: 'sending' });
      expect(was.get(retry.action.id)).toEqual({ before: 'retry_scheduled', now: 'sending' });
      expect(was.get(callback.action.id)).toEqual({ before: 'awaiting_callback', now: 'awaiting_callback' });
    });

    it('claims a throttled action only when it is due, not ahead (a retry would make it due again beside the held copy)', async () => {
      await store.insertActions([launched({ dueAt: T0 + 100, phase: 'throttled' }), launched({ dueAt: T0 + 200 })]);
      const ahead = await store.claimDue({ now: T0, dueBy: T0 + 300, owner: 'n', leaseUntil: T0 + 30 * SECOND, limit: 10 });
      expect(ahead.map((a) => a.phase)).toEqual(['sending']);
      const due = await store.claimDue({ now: T0 + 100, dueBy: T0 + 400, owner: 'n', leaseUntil: T0 + 30 * SECOND, limit: 10 });
      expect(due.map((a) => a.phase)).toEqual(['throttled']);
    });

    it('claims the same way without a dueTimes callback', async () => {
      await store.insertActions([launched({ dueAt: T0 })]);
      expect(await store.claimDue({ now: T0 + SECOND, owner: 'n', leaseUntil: T0 + 60 * SECOND, limit: 5 })).toHaveLength(1);
    });
  });
});
