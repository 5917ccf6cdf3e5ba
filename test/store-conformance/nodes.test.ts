// Store conformance: node heartbeats and takeover, on both stores. A dead node's claims become due
// now (as if their leases had ended), with a new version and their concurrency slots freed; other
// nodes' claims and unclaimed work are untouched.

import { TAKEN_BACK_MESSAGE } from '../../src/store/types.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, HOUR, launched, type TestDatabase } from './stores.ts';
import type { NodeRow, Store } from '../../src/store/types.ts';

const node = (id: string, over: Partial<NodeRow> = {}): NodeRow => ({ id, host: 'h1', pid: 100, startedAt: T0, heartbeatAt: T0, ...over });

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('nodes and takeover', () => {
    it('a heartbeat records the node once and then moves its time', async () => {
      await store.heartbeatNode(node('a#1'));
      await store.heartbeatNode(node('b#1', { host: 'h2', pid: 7, startedAt: T0 + 5 }));
      await store.heartbeatNode(node('a#1', { heartbeatAt: T0 + 3 * SECOND }));
      expect(await store.listNodes()).toEqual([
        node('a#1', { heartbeatAt: T0 + 3 * SECOND }),
        node('b#1', { host: 'h2', pid: 7, startedAt: T0 + 5 }),
      ]);
    });

    it("a dead node's claims become due now with a new version, its slots free, its row goes; others are untouched", async () => {
      await store.heartbeatNode(node('dead#1'));
      await store.heartbeatNode(node('live#1'));
      const items = [launched(), launched(), launched(), launched({ dueAt: T0 + HOUR })];
      await store.insertActions(items);
      const mine = await store.claimDue({ now: T0, owner: 'dead#1', leaseUntil: T0 + HOUR, limit: 2 });
      const theirs = await store.claimDue({ now: T0, owner: 'live#1', leaseUntil: T0 + HOUR, limit: 1 });
      expect(mine).toHaveLength(2);
      expect(theirs).toHaveLength(1);
      await store.acquireConcurrency({ connectorId: 'crm', max: 5, actionIds: [mine[0]!.id, theirs[0]!.id], now: T0, until: T0 + HOUR });

      const back = await store.takeOver({ nodeIds: ['dead#1'], orphans: false, now: T0 + 5 * SECOND });
      expect(back.sort()).toEqual(mine.map((a) => a.id).sort());
      for (const a of mine)
        expect(await store.getAction(a.id)).toMatchObject({ dueAt: T0 + 5 * SECOND, version: a.version + 1, phase: 'sending' });
      // Each says so on its timeline: the resend that follows is not the first attempt.
      for (const a of mine)
        expect((await store.listTimeline(a.id)).at(-1)).toMatchObject({
          actor: 'system',
          kind: 'message',
          message: TAKEN_BACK_MESSAGE,
          at: T0 + 5 * SECOND,
        });
      expect((await store.listTimeline(theirs[0]!.id)).map((e) => e.message)).not.toContain(TAKEN_BACK_MESSAGE);
      expect(await store.getAction(theirs[0]!.id)).toMatchObject({ dueAt: T0 + HOUR, version: theirs[0]!.version });
      expect(await store.getAction(items[3]!.action.id)).toMatchObject({ dueAt: T0 + HOUR, version: items[3]!.action.version });
      expect((await store.listNodes()).map((n) => n.id)).toEqual(['live#1']);
      expect(await db.count('concurrency_slots')).toBe(1);
      // Taken back work is claimed again by the living; a second takeover of the same node finds nothing.
      const again = await store.claimDue({ now: T0 + 5 * SECOND, owner: 'live#1', leaseUntil: T0 + HOUR, limit: 10 });
      expect(again.map((a) => a.id).sort()).toEqual(mine.map((a) => a.id).sort());
      expect(await store.takeOver({ nodeIds: ['dead#1'], orphans: false, now: T0 + 6 * SECOND })).toEqual([]);
    });

    it('orphans: claims whose owner has no node row are taken back only when asked', async () => {
      await store.heartbeatNode(node('live#1'));
      await store.insertActions([launched(), launched()]);
      const [old] = await store.claimDue({ now: T0, owner: 'host:123', leaseUntil: T0 + HOUR, limit: 1 });
      const [live] = await store.claimDue({ now: T0, owner: 'live#1', leaseUntil: T0 + HOUR, limit: 1 });
      expect(await store.takeOver({ nodeIds: [], orphans: false, now: T0 + SECOND })).toEqual([]);
      expect(await store.takeOver({ nodeIds: [], orphans: true, now: T0 + SECOND })).toEqual([old!.id]);
      expect(await store.getAction(old!.id)).toMatchObject({ dueAt: T0 + SECOND });
      expect(await store.getAction(live!.id)).toMatchObject({ dueAt: T0 + HOUR });
    });
  });
});
