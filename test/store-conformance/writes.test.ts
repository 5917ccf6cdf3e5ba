// Store conformance: guarded writes of transitions and their effects, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, HOUR, launched, write, type TestDatabase } from './stores.ts';
import type { ActionRecord, TimelineEntry } from '../../src/lifecycle/action.ts';
import type { ActionWrite, Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('writing transitions', () => {
    const entry = (at: number, kind: TimelineEntry['kind'], message: string, data?: Record<string, unknown>): TimelineEntry => ({
      at,
      actor: 'system',
      kind,
      message,
      ...(data ? { data } : {}),
    });

    async function claimedOne(over: Partial<ActionRecord> = {}): Promise<ActionRecord> {
      const item = launched({ dueAt: T0, ...over });
      await store.insertActions([item]);
      const [a] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 30 * SECOND, limit: 1 });
      return a!;
    }

    it('a write at the expected version stores the record and its timeline entries in order', async () => {
      const a = await claimedOne();
      const w = write(
        a,
        { phase: 'awaiting_callback', attempts: 1, dueAt: T0 + HOUR, externalReference: 'EXT-1', updatedAt: T0 + SECOND },
        [
          entry(T0 + SECOND, 'attempt', 'POST /tickets → 202', { status: 202, request: { headers: { authorization: '[redacted]' } } }),
          entry(T0 + SECOND, 'state_changed', 'Waiting (awaiting callback)'),
        ],
      );
      expect(await store.writeActions([w])).toEqual([true]);
      expect(await store.getAction(a.id)).toEqual(w.action);
      const tl = await store.listTimeline(a.id);
      expect(tl.map((t) => t.kind)).toEqual(['launched', 'attempt', 'state_changed']);
      expect(tl[1]).toEqual({ seq: tl[1]!.seq, actionId: a.id, ...w.timeline[0] });
      expect(tl[0]!.seq < tl[1]!.seq && tl[1]!.seq < tl[2]!.seq).toBe(true);
      // No longer leased: nothing due before the new due time.
      expect(await store.claimDue({ now: T0 + HOUR - 1, owner: 'node-2', leaseUntil: T0 + 2 * HOUR, limit: 10 })).toEqual([]);
    });

    it('a write that names the record it came from stores the same row as one that does not, a column set to null included', async () => {
      const a = await claimedOne({ queue: 'desk', assignee: 'olga', externalReference: 'EXT-0' });
      const b = await claimedOne({ queue: 'desk', assignee: 'olga', externalReference: 'EXT-0', createdAt: T0 + 1 });
      const changes: Partial<ActionRecord> = {
        phase: null,
        state: 'closed',
        resolution: 'done_successfully',
        attempts: 1,
        assignee: null,
        output: { ok: [1, 2] },
        closedAt: T0 + SECOND,
        dueAt: null,
        updatedAt: T0 + SECOND,
      };
      const withPrevious = { ...write(a, changes), previous: a };
      const without = write(b, changes);
      expect(await store.writeActions([withPrevious, without])).toEqual([true, true]);
      const [ra, rb] = [await store.getAction(a.id), await store.getAction(b.id)];
      expect(ra).toEqual(withPrevious.action);
      expect({ ...rb, id: a.id, createdAt: a.createdAt, timeoutAt: a.timeoutAt }).toEqual({ ...ra });
      // Unchanged columns kept what was there: the queue and the external reference.
      expect(ra).toMatchObject({ queue: 'desk', externalReference: 'EXT-0', assignee: null });
      // The guard still holds: the same write again (now stale) applies nothing.
      expect(await store.writeActions([{ ...withPrevious, action: { ...withPrevious.action, state: 'todo', resolution: null } }])).toEqual([
        false,
      ]);
      expect((await store.getAction(a.id))!.state).toBe('closed');
    });

    it('a write sets every field a transition may change, and a later one clears them again', async () => {
      const a = await claimedOne();
      const set = write(a, {
        caseId: 'case-9',
        state: 'closed',
        reason: 'request_rejected',
        resolution: 'not_done_successfully',
        phase: 'retry_scheduled',
        output: { ticket: 'T-1', list: [1, 'two'] },
        attempts: 3,
        lastError: 'HTTP 503',
        lastErrorAt: T0 + 1,
        nextRetryAt: T0 + 2,
        paused: true,
        rejectedReason: 'no such customer',
        externalReference: 'EXT-9',
        callbackOutcome: 'failure',
        escalated: true,
        queue: 'billing',
        assignee: 'olga',
        dueAt: T0 + 3,
        timeoutAt: T0 + 4,
        heartbeatAt: T0 + 5,
        updatedAt: T0 + 6,
        closedAt: T0 + 7,
      });
      expect(await store.writeActions([set])).toEqual([true]);
      expect(await store.getAction(a.id)).toEqual(set.action);
      const cleared = write(set.action, {
        caseId: null,
        state: 'waiting',
        reason: null,
        resolution: null,
        phase: null,
        output: null,
        lastError: null,
        lastErrorAt: null,
        nextRetryAt: null,
        paused: false,
        rejectedReason: null,
        externalReference: null,
        callbackOutcome: null,
        escalated: false,
        queue: null,
        assignee: null,
        dueAt: null,
        timeoutAt: null,
        heartbeatAt: null,
        updatedAt: T0 + 8,
        closedAt: null,
      });
      expect(await store.writeActions([cleared])).toEqual([true]);
      expect(await store.getAction(a.id)).toEqual(cleared.action);
    });

    it('a stale write changes nothing — no record, timeline, case data or notification — while the rest of the batch applies', async () => {
      await store.insertCase({ id: 'case-1', data: { a: 1 }, owner: 'olga', createdAt: T0, updatedAt: T0 });
      const item = launched({ caseId: 'case-1', dueAt: T0 });
      const fresh = launched({ createdAt: T0 + 1 });
      await store.insertActions([item, fresh]);
      const [claimed] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 30 * SECOND, limit: 1 });
      expect(claimed!.id).toBe(item.action.id);
      // A worker still holding the launch version (1) lost the race with the claim (now 2).
      const stale = write(
        item.action,
        { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, lastError: 'boom' },
        [entry(T0 + 5, 'escalated', 'Escalated')],
        [{ type: 'merge_case_data', data: { a: 2 } }, { type: 'escalated' }],
      );
      const good = write(fresh.action, { phase: 'sending', updatedAt: T0 + 5 }, [entry(T0 + 5, 'message', 'ok')]);
      expect(await store.writeActions([stale, good])).toEqual([false, true]);
      expect(await store.getAction(item.action.id)).toEqual(claimed);
      expect((await store.listTimeline(item.action.id)).map((t) => t.kind)).toEqual(['launched']);
      expect((await store.getCase('case-1'))!.data).toEqual({ a: 1 });
      expect(await store.listNotifications('olga')).toEqual([]);
      expect((await store.getAction(fresh.action.id))!.phase).toBe('sending');
      expect(await store.writeActions([])).toEqual([]);
    });

    it('two writes of one action in a batch apply one after the other', async () => {
      const a = await claimedOne();
      const w1 = write(a, { phase: 'awaiting_callback', updatedAt: T0 + 1 }, [entry(T0 + 1, 'attempt', 'sent')]);
      const w2 = write(w1.action, { state: 'closed', phase: null, resolution: 'done_successfully', dueAt: null, updatedAt: T0 + 2 }, [
        entry(T0 + 2, 'callback', 'done'),
      ]);
      const w3 = write(w1.action, { state: 'todo', phase: null, reason: 'timeout', updatedAt: T0 + 3 }, [
        entry(T0 + 3, 'state_changed', 'timed out'),
      ]);
      expect(await store.writeActions([w1, w2, w3])).toEqual([true, true, false]);
      expect(await store.getAction(a.id)).toEqual(w2.action);
      expect((await store.listTimeline(a.id)).map((t) => t.message)).toEqual(['Launched Create ticket; Waiting (queued)', 'sent', 'done']);
    });

    it('merge_case_data merges into the case data shallowly, in write order', async () => {
      await store.insertCase({
        id: 'case-1',
        data: { keep: true, status: 'new', nested: { x: 1 } },
        owner: null,
        createdAt: T0,
        updatedAt: T0,
      });
      const [i1, i2] = [launched({ caseId: 'case-1' }), launched({ caseId: 'case-1' })];
      await store.insertActions([i1, i2]);
      const w1 = write(
        i1.action,
        { state: 'closed', phase: null, updatedAt: T0 + 10 },
        [],
        [{ type: 'merge_case_data', data: { status: 'open', nested: { y: 2 }, ticket: 'T-1' } }],
      );
      const w2 = write(
        i2.action,
        { state: 'closed', phase: null, updatedAt: T0 + 20 },
        [],
        [{ type: 'merge_case_data', data: { status: 'closed', extra: null } }],
      );
      expect(await store.writeActions([w1, w2])).toEqual([true, true]);
      const { version, ...c } = (await store.getCase('case-1'))!;
      expect(c).toEqual({
        id: 'case-1',
        data: { keep: true, status: 'closed', nested: { y: 2 }, ticket: 'T-1', extra: null },
        owner: null,
        createdAt: T0,
        updatedAt: T0 + 20,
      });
      expect(version).toBeGreaterThan(1); // moved by the merges (once or once per output, as the store writes them)
    });

    it('an output merged into a case moves its version: a change computed from the data read before it is refused', async () => {
      // A PATCH checks the merged size against the data it read; an output merged since must make it read again.
      const chunk = 'x'.repeat(100 * 1024);
      await store.insertCase({ id: 'case-1', data: { a: chunk }, owner: null, createdAt: T0, updatedAt: T0 });
      const read = (await store.getCase('case-1'))!;
      const it = launched({ caseId: 'case-1' });
      await store.insertActions([it]);
      const w = write(
        it.action,
        { state: 'closed', phase: null, updatedAt: T0 + 1 },
        [],
        [{ type: 'merge_case_data', data: { b: chunk } }],
      );
      expect(await store.writeActions([w])).toEqual([true]);
      const stale = { id: 'case-1', expectedVersion: read.version ?? 1, at: T0 + 2, dataPatch: { c: chunk } };
      expect(await store.updateCase(stale)).toBe(false);
      const now = (await store.getCase('case-1'))!;
      expect(Object.keys(now.data).sort()).toEqual(['a', 'b']);
      expect(await store.updateCase({ ...stale, expectedVersion: now.version ?? 1, dataPatch: { c: 1 } })).toBe(true);
    });

    it('outputs merged into one case cannot grow its data past 256 KB: the output that would is not merged and its action says so; a small one beside it is', async () => {
      await store.insertCase({ id: 'case-1', data: { keep: true }, owner: null, createdAt: T0, updatedAt: T0 });
      const chunk = 'x'.repeat(100 * 1024);
      const items = [1, 2, 3, 4].map(() => launched({ caseId: 'case-1' }));
      await store.insertActions(items);
      const close = (i: number, data: Record<string, unknown>, at: number) =>
        write(
          items[i]!.action,
          { state: 'closed', phase: null, updatedAt: at },
          [entry(at, 'state_changed', 'closed')],
          [{ type: 'merge_case_data', data }],
        );
      // Two 100 KB outputs fit (≈200 KB); a third would pass 256 KB. The small one written after it in the
      // same batch fits, as it would have in a batch of its own.
      expect(await store.writeActions([close(0, { a: chunk }, T0 + 1), close(1, { b: chunk }, T0 + 2)])).toEqual([true, true]);
      expect(await store.writeActions([close(2, { c: chunk }, T0 + 3), close(3, { d: 1 }, T0 + 4)])).toEqual([true, true]);
      const c = (await store.getCase('case-1'))!;
      expect(Object.keys(c.data).sort()).toEqual(['a', 'b', 'd', 'keep']);
      expect(c.updatedAt).toBe(T0 + 4);
      // The writes themselves applied: the actions are closed, and the refused output is told on its timeline.
      for (const i of [2, 3]) expect((await store.getAction(items[i]!.action.id))!.state).toBe('closed');
      const messages = (await store.listTimeline(items[2]!.action.id)).map((t) => t.message);
      expect(messages.at(-1)).toBe('The output was not merged into the data of case case-1: the case data would be larger than 256 KB');
      for (const i of [0, 3])
        expect((await store.listTimeline(items[i]!.action.id)).map((t) => t.kind)).toEqual(['launched', 'state_changed']);
      // A small merge still fits afterwards.
      const small = launched({ caseId: 'case-1' });
      await store.insertActions([small]);
      const w = write(small.action, { state: 'closed', phase: null, updatedAt: T0 + 9 }, [], [{ type: 'merge_case_data', data: { e: 5 } }]);
      expect(await store.writeActions([w])).toEqual([true]);
      expect((await store.getCase('case-1'))!.data.e).toBe(5);
    });

    it('the 256 KB of merged case data are counted as compact JSON on either store: exactly the limit merges, one byte more does not', async () => {
      // Many short keys: as jsonb text (": " and ", ") this data is about 14% larger than as compact JSON.
      const base: Record<string, string> = {};
      for (let i = 0; i < 17_000; i++) base[`k${String(i).padStart(5, '0')}`] = 'vv';
      await store.insertCase({ id: 'case-1', data: base, owner: null, createdAt: T0, updatedAt: T0 });
      const pad = 256 * 1024 - Buffer.byteLength(JSON.stringify({ ...base, pad: '' }));
      const items = [launched({ caseId: 'case-1' }), launched({ caseId: 'case-1' })];
      await store.insertActions(items);
      const close = (i: number, data: Record<string, unknown>, at: number) =>
        write(items[i]!.action, { state: 'closed', phase: null, updatedAt: at }, [], [{ type: 'merge_case_data', data }]);
      expect(await store.writeActions([close(0, { pad: 'x'.repeat(pad) }, T0 + 1)])).toEqual([true]);
      expect(Buffer.byteLength(JSON.stringify((await store.getCase('case-1'))!.data))).toBe(256 * 1024);
      expect(await store.writeActions([close(1, { d: 1 }, T0 + 2)])).toEqual([true]);
      expect((await store.getCase('case-1'))!.data.d).toBeUndefined();
      expect((await store.listTimeline(items[1]!.action.id)).map((t) => t.message).at(-1)).toMatch(/not merged/);
      expect((await store.listTimeline(items[0]!.action.id)).map((t) => t.message).join()).not.toMatch(/not merged/);
    });

    it('escalated notifies the case owner with the last error, newest first', async () => {
      await store.insertCase({ id: 'case-1', data: {}, owner: 'olga', createdAt: T0, updatedAt: T0 });
      await store.insertCase({ id: 'case-2', data: {}, owner: null, createdAt: T0, updatedAt: T0 });
      const [i1, i2, i3, i4] = [
        launched({ caseId: 'case-1' }),
        launched({ caseId: 'case-1' }),
        launched({ caseId: 'case-2' }),
        launched({ caseId: null }),
      ];
      await store.insertActions([i1, i2, i3, i4]);
      const escalate = (a: ActionRecord, at: number, lastError: string | null): ActionWrite =>
        write(
          a,
          { state: 'closed', phase: null, resolution: 'not_done_successfully', escalated: true, lastError, updatedAt: at, closedAt: at },
          [],
          [{ type: 'escalated' }],
        );
      expect(
        await store.writeActions([
          escalate(i1.action, T0 + 1, 'HTTP 503'),
          escalate(i2.action, T0 + 2, null),
          escalate(i3.action, T0 + 3, 'x'),
          escalate(i4.action, T0 + 4, 'y'),
        ]),
      ).toEqual([true, true, true, true]);
      const notes = await store.listNotifications('olga');
      expect(notes.map(({ id: _id, ...n }) => n)).toEqual([
        {
          user: 'olga',
          kind: 'action.escalated',
          message: 'An action closed Not Done Successfully',
          actionId: i2.action.id,
          caseId: 'case-1',
          at: T0 + 2,
        },
        {
          user: 'olga',
          kind: 'action.escalated',
          message: 'An action closed Not Done Successfully: HTTP 503',
          actionId: i1.action.id,
          caseId: 'case-1',
          at: T0 + 1,
        },
      ]);
      expect(notes[0]!.id).toBeGreaterThan(notes[1]!.id);
      expect(await store.listNotifications('nobody')).toEqual([]);
      expect(await db.count('actions', 'escalated')).toBe(4);
    });
  });
});
