// Store conformance: finding actions, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, launched, write, ids } from './stores.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import type { ActionFilter, Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx());
  });

  describe('finding actions', () => {
    /** Ten actions, created one second apart (so ids ascend), with the attributes the filters look at. */
    async function seed(): Promise<ActionRecord[]> {
      const rows: Array<Partial<ActionRecord>> = [
        { state: 'waiting', phase: 'queued' },
        { state: 'waiting', phase: 'retry_scheduled', actionTypeId: 'type-ticket' },
        { state: 'waiting', phase: 'retry_scheduled', actionTypeId: 'type-refund' },
        { state: 'waiting', phase: 'awaiting_callback', externalReference: 'EXT-1', dueAt: null },
        { state: 'todo', phase: null, reason: 'timeout', queue: 'billing', caseId: 'case-1', dueAt: null },
        { state: 'todo', phase: null, reason: 'request_rejected', queue: 'billing', assignee: 'ana', caseId: 'case-1', dueAt: null },
        { state: 'in_progress', phase: null, reason: 'manual', assignee: 'ana', dueAt: null },
        {
          state: 'closed',
          phase: null,
          resolution: 'done_successfully',
          externalReference: 'EXT-1',
          actionTypeId: 'type-refund',
          dueAt: null,
        },
        { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, caseId: 'case-2', dueAt: null },
        { state: 'closed', phase: null, resolution: 'done_successfully', externalReference: 'EXT-1', dueAt: null },
      ];
      const items = rows.map((over, i) => launched({ createdAt: T0 + i * SECOND, ...over }));
      await store.insertActions(items);
      return items.map((it) => it.action);
    }

    it('listActions lists newest first and filters by every field', async () => {
      const a = await seed();
      const newestFirst = (xs: ActionRecord[]): string[] => ids(xs).reverse();
      expect(ids(await store.listActions({ limit: 100 }))).toEqual(newestFirst(a));
      expect(ids(await store.listActions({ state: 'todo', limit: 100 }))).toEqual(newestFirst([a[4]!, a[5]!]));
      expect(ids(await store.listActions({ phase: 'retry_scheduled', limit: 100 }))).toEqual(newestFirst([a[1]!, a[2]!]));
      expect(ids(await store.listActions({ reason: 'manual', limit: 100 }))).toEqual([a[6]!.id]);
      expect(ids(await store.listActions({ resolution: 'done_successfully', limit: 100 }))).toEqual(newestFirst([a[7]!, a[9]!]));
      expect(ids(await store.listActions({ actionTypeId: 'type-refund', limit: 100 }))).toEqual(newestFirst([a[2]!, a[7]!]));
      expect(ids(await store.listActions({ caseId: 'case-1', limit: 100 }))).toEqual(newestFirst([a[4]!, a[5]!]));
      expect(ids(await store.listActions({ queue: 'billing', assignee: 'ana', limit: 100 }))).toEqual([a[5]!.id]);
      expect(ids(await store.listActions({ escalated: true, limit: 100 }))).toEqual([a[8]!.id]);
      expect(await store.listActions({ escalated: false, limit: 100 })).toHaveLength(9);
      expect(ids(await store.listActions({ externalReference: 'EXT-1', limit: 100 }))).toEqual(newestFirst([a[3]!, a[7]!, a[9]!]));
      expect(ids(await store.listActions({ state: 'closed', externalReference: 'EXT-1', limit: 100 }))).toEqual(
        newestFirst([a[7]!, a[9]!]),
      );
      expect(await store.listActions({ state: 'waiting', caseId: 'case-2', limit: 100 })).toEqual([]);
    });

    it('listActions pages newest first with `before` and `limit`', async () => {
      const a = await seed();
      const page1 = await store.listActions({ limit: 4 });
      expect(ids(page1)).toEqual([a[9]!.id, a[8]!.id, a[7]!.id, a[6]!.id]);
      const page2 = await store.listActions({ limit: 4, before: page1.at(-1)!.id });
      expect(ids(page2)).toEqual([a[5]!.id, a[4]!.id, a[3]!.id, a[2]!.id]);
      const page3 = await store.listActions({ limit: 4, before: page2.at(-1)!.id });
      expect(ids(page3)).toEqual([a[1]!.id, a[0]!.id]);
      expect(ids(await store.listActions({ state: 'closed', limit: 1, before: a[9]!.id }))).toEqual([a[8]!.id]);
      expect(await store.listActions({ limit: 10, before: a[0]!.id })).toEqual([]);
    });

    it('listActionsPage cuts a page at a byte budget of inputs and outputs, keeping at least one action, and says when there is more', async () => {
      // Six actions of about 10 KB of input each (one with a 10 KB output too), oldest first.
      const big = 'x'.repeat(10_000);
      const items = Array.from({ length: 6 }, (_, i) =>
        launched({ createdAt: T0 + i * SECOND, input: { D: big }, ...(i === 4 ? { output: { R: big } } : {}) }),
      );
      await store.insertActions(items);
      const a = items.map((it) => it.action).reverse();
      const page = async (f: Partial<ActionFilter>, maxBytes: number) => {
        const r = await store.listActionsPage({ limit: 100, ...f }, maxBytes);
        return { ids: ids(r.actions), more: r.more };
      };
      // Under budget: the whole list, nothing more.
      expect(await page({}, 1_000_000)).toEqual({ ids: ids(a), more: false });
      // 25 KB: the newest (10 KB) starts the page; the next (20 KB with its output) crosses the budget and ends it.
      expect(await page({}, 25_000)).toEqual({ ids: ids(a.slice(0, 2)), more: true });
      // Then three of 10 KB (the third starts at 20 KB, within it, and crosses it); then the last, and no more.
      expect(await page({ before: a[1]!.id }, 25_000)).toEqual({ ids: ids(a.slice(2, 5)), more: true });
      expect(await page({ before: a[4]!.id }, 25_000)).toEqual({ ids: [a[5]!.id], more: false });
      // A budget smaller than one action still gives that action.
      expect(await page({}, 10)).toEqual({ ids: [a[0]!.id], more: true });
      // The limit applies as before, and a full page says there is more.
      expect(await page({ limit: 2 }, 1_000_000)).toEqual({ ids: ids(a.slice(0, 2)), more: true });
    });

    it('listActions combines any of its filters', async () => {
      await seed();
      const count = async (f: Omit<ActionFilter, 'limit'>): Promise<number> => (await store.listActions({ ...f, limit: 100 })).length;
      expect(await count({})).toBe(10);
      expect(await count({ state: 'closed' })).toBe(3);
      expect(await count({ state: 'waiting', phase: 'retry_scheduled' })).toBe(2);
      expect(await count({ escalated: true })).toBe(1);
      expect(await count({ escalated: false, state: 'closed' })).toBe(2);
      expect(await count({ externalReference: 'EXT-1' })).toBe(3);
      expect(await count({ caseId: 'case-1', assignee: 'ana' })).toBe(1);
      expect(await count({ queue: 'nowhere' })).toBe(0);
    });

    it('countActionsByState counts per state, and per phase, reason and resolution within theirs, as countActions does each', async () => {
      await seed();
      expect(await store.countActionsByState({})).toEqual({
        states: { waiting: 4, todo: 2, in_progress: 1, closed: 3 },
        phases: { queued: 1, throttled: 0, sending: 0, retry_scheduled: 2, awaiting_callback: 1 },
        reasons: { updated_by_integration: 0, timeout: 1, request_rejected: 1, invalid_input: 0, manual: 0 },
        resolutions: { done_successfully: 2, not_done_successfully: 1 },
        more: false,
      });
      // With a text search too (the embedded store counts it in windows): the same numbers as one COUNT each.
      for (const f of [
        {},
        { text: 'PRINTER' },
        { text: 'ext-1' },
        { text: 'ext-1', escalated: false },
        { text: 'nowhere' },
        { queue: 'billing' },
      ]) {
        const c = await store.countActionsByState(f);
        expect(c.more).toBe(false);
        for (const [state, n] of Object.entries(c.states)) expect(n).toBe(await store.countActions({ ...f, state: state as never }));
        for (const [phase, n] of Object.entries(c.phases))
          expect(n).toBe(await store.countActions({ ...f, state: 'waiting', phase: phase as never }));
        for (const [reason, n] of Object.entries(c.reasons)) expect(n).toBe(await store.countActions({ ...f, state: 'todo', reason }));
        for (const [resolution, n] of Object.entries(c.resolutions))
          expect(n).toBe(await store.countActions({ ...f, state: 'closed', resolution }));
      }
      expect((await store.countActionsByState({ text: 'ext-1' })).states).toEqual({ waiting: 1, todo: 0, in_progress: 0, closed: 2 });
    });

    it('countThrottledByActionType counts the waiting actions held behind rate limits, per action type', async () => {
      expect(await store.countThrottledByActionType()).toEqual(new Map());
      const rows: Array<Partial<ActionRecord>> = [
        { state: 'waiting', phase: 'throttled', actionTypeId: 'type-ticket' },
        { state: 'waiting', phase: 'throttled', actionTypeId: 'type-ticket' },
        { state: 'waiting', phase: 'throttled', actionTypeId: 'type-refund' },
        { state: 'waiting', phase: 'queued', actionTypeId: 'type-refund' },
        { state: 'closed', phase: null, resolution: 'done_successfully', actionTypeId: 'type-other', dueAt: null },
      ];
      await store.insertActions(rows.map((over, i) => launched({ createdAt: T0 + i * SECOND, ...over })));
      expect(await store.countThrottledByActionType()).toEqual(
        new Map([
          ['type-ticket', 2],
          ['type-refund', 1],
        ]),
      );
    });

    it('listRetryScheduled lists the open actions of one type waiting for a retry', async () => {
      const a = await seed();
      expect(ids(await store.listRetryScheduled('type-ticket'))).toEqual([a[1]!.id]);
      expect(ids(await store.listRetryScheduled('type-refund'))).toEqual([a[2]!.id]);
      expect(await store.listRetryScheduled('type-none')).toEqual([]);
    });

    it('listRetryScheduled also lists the retries a rate limit or open circuit holds back, not the first attempts', async () => {
      const rows: Array<Partial<ActionRecord>> = [
        { state: 'waiting', phase: 'throttled', attempts: 2, actionTypeId: 'type-held' }, // a retry held
        { state: 'waiting', phase: 'throttled', attempts: 0, actionTypeId: 'type-held' }, // a first attempt held
        { state: 'waiting', phase: 'queued', attempts: 1, actionTypeId: 'type-held' },
      ];
      const held = rows.map((over, i) => launched({ createdAt: T0 + i * SECOND, ...over }));
      await store.insertActions(held);
      expect(ids(await store.listRetryScheduled('type-held'))).toEqual([held[0]!.action.id]);
    });

    it('listActions finds an external reference within one action type, newest first', async () => {
      const a = await seed();
      const find = async (actionTypeId: string, externalReference: string): Promise<string[]> =>
        ids(await store.listActions({ actionTypeId, externalReference, limit: 100 }));
      expect(await find('type-ticket', 'EXT-1')).toEqual([a[9]!.id, a[3]!.id]);
      expect(await find('type-refund', 'EXT-1')).toEqual([a[7]!.id]);
      expect(await find('type-other', 'EXT-1')).toEqual([]);
      expect(await find('type-ticket', 'EXT-2')).toEqual([]);
    });

    it('listTimeline keeps each action’s entries in the order written, apart from other actions', async () => {
      const [x, y] = [launched(), launched()];
      await store.insertActions([x, y]);
      let ax = x.action;
      let ay = y.action;
      for (let i = 1; i <= 3; i++) {
        const wx = write(ax, { updatedAt: T0 + i }, [
          { at: T0 + i, actor: 'integration', kind: 'heartbeat', message: `x${i}`, data: { i } },
        ]);
        const wy = write(ay, { updatedAt: T0 + i }, [{ at: T0 + i, actor: `user:ana`, kind: 'message', message: `y${i}` }]);
        expect(await store.writeActions([wy, wx])).toEqual([true, true]);
        [ax, ay] = [wx.action, wy.action];
      }
      const tx = await store.listTimeline(x.action.id);
      expect(tx.map((t) => t.message)).toEqual(['Launched Create ticket; Waiting (queued)', 'x1', 'x2', 'x3']);
      expect(tx[3]).toEqual({
        seq: tx[3]!.seq,
        actionId: x.action.id,
        at: T0 + 3,
        actor: 'integration',
        kind: 'heartbeat',
        message: 'x3',
        data: { i: 3 },
      });
      expect((await store.listTimeline(y.action.id)).map((t) => [t.actor, t.message])).toEqual([
        ['system', 'Launched Create ticket; Waiting (queued)'],
        ['user:ana', 'y1'],
        ['user:ana', 'y2'],
        ['user:ana', 'y3'],
      ]);
      expect(await store.listTimeline('no-such-action')).toEqual([]);
    });

    it("listTimeline by actor: one actor's latest entries of a kind, however many others wrote since", async () => {
      const [x] = [launched()];
      await store.insertActions([x]);
      let ax = x.action;
      const entries = [
        ...Array.from({ length: 5 }, (_, i) => ({ actor: 'integration' as const, kind: 'message' as const, message: `own ${i}` })),
        { actor: 'integration' as const, kind: 'heartbeat' as const, message: 'beat' },
        ...Array.from({ length: 60 }, (_, i) => ({ actor: 'user:ana' as const, kind: 'message' as const, message: `note ${i}` })),
      ];
      for (const [i, e] of entries.entries()) {
        const w = write(ax, { updatedAt: T0 + i + 1 }, [{ at: T0 + i + 1, ...e }]);
        expect(await store.writeActions([w])).toEqual([true]);
        ax = w.action;
      }
      const own = await store.listTimeline(x.action.id, { kind: 'message', actor: 'integration', newestFirst: true, limit: 3 });
      expect(own.map((t) => t.message)).toEqual(['own 4', 'own 3', 'own 2']);
      const all = await store.listTimeline(x.action.id, { actor: 'integration' });
      expect(all.map((t) => t.message)).toEqual(['own 0', 'own 1', 'own 2', 'own 3', 'own 4', 'beat']);
      expect(await store.listTimeline(x.action.id, { actor: 'user:max' })).toEqual([]);
    });

    it('lastTimelineEntry is the newest entry of one kind on one action', async () => {
      const [x, y] = [launched(), launched()];
      await store.insertActions([x, y]);
      let ax = x.action;
      for (const [i, kind] of [
        [1, 'message'],
        [2, 'heartbeat'],
        [3, 'message'],
      ] as const) {
        const w = write(ax, { updatedAt: T0 + i }, [{ at: T0 + i, actor: 'user:ana', kind, message: `x${i}` }]);
        expect(await store.writeActions([w])).toEqual([true]);
        ax = w.action;
      }
      expect(await store.lastTimelineEntry(x.action.id, 'message')).toMatchObject({
        actionId: x.action.id,
        message: 'x3',
        actor: 'user:ana',
      });
      expect(await store.lastTimelineEntry(x.action.id, 'heartbeat')).toMatchObject({ message: 'x2' });
      expect(await store.lastTimelineEntry(y.action.id, 'message')).toBeUndefined();
      expect(await store.lastTimelineEntry('no-such-action', 'message')).toBeUndefined();
    });
  });
});
