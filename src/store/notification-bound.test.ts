import { expect, it } from 'vitest';
import { PRUNE_BATCH, countCap, notificationsToDrop } from './notification-bound.ts';

it('a count stopped at countCap decides as the full count would: a full batch dropped, more than the bound left', () => {
  for (const keep of [1, 10, 999, 1000, 5000, 1_000_000]) {
    for (const full of [countCap(keep), countCap(keep) + 1, countCap(keep) * 10]) {
      // What the stores see: the count stopped at the cap.
      const seen = Math.min(full, countCap(keep));
      expect(notificationsToDrop(seen, keep), `keep ${keep}, ${full}`).toBe(notificationsToDrop(full, keep));
      // After dropping a batch of read ones, still more than the bound: the unread rule decides alike.
      expect(seen - PRUNE_BATCH > keep).toBe(full - PRUNE_BATCH > keep);
    }
  }
});
