// Store conformance: launching actions and claiming due work, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { eachStore, T0, SECOND, HOUR, launched, write, ids, type TestDatabase } from './stores.ts';
import { ConflictError } from '../../src/errors.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('launching actions', () => {
    it('insertActions and getAction round-trip every field', async () => {
      const full = launched({
        caseId: 'case-1',
        state: 'todo',
        reason: 'request_rejected',
        resolution: 'not_done_successfully',
        phase: 'retry_scheduled',
        input: {
          subject: 'Ünïcode “quotes” \\ and \n newlines',
          n: 12.5,
          big: 9_007_199_254_740_991,
          list: [1, 'two', null, { three: true }],
          none: null,
        },
        output: { status: 503, body: ['x', { y: null }] },
        attempts: 4,
        lastError: 'HTTP 503: Service Unavailable',
        lastErrorAt: T0 + 1,
        nextRetryAt: T0 + 2,
        paused: true,
        rejectedReason: 'Customer unknown',
        externalReference: 'EXT-42',
        callbackOutcome: 'failure',
        escalated: true,
        queue: 'billing',
        assignee: 'ana',
        dueAt: T0 + 3,
        timeoutAt: T0 + 4,
        heartbeatAt: T0 + 5,
        updatedAt: T0 + 6,
        closedAt: T0 + 7,
        version: 9,
      });
      const plain = launched();
      await store.insertActions([full, plain]);
      expect(await store.getAction(full.action.id)).toEqual(full.action);
      expect(await store.getAction(plain.action.id)).toEqual(plain.action);
      expect(await store.getAction('no-such-action')).toBeUndefined();
    });

    it('output of any JSON type round-trips through a write', async () => {
      const { action } = launched();
      await store.insertActions([{ action, timeline: [] }]);
      let cur = action;
      for (const output of ['plain text body', 42, true, [1, 'a'], { ok: true }, null]) {
        const w = write(cur, { output });
        expect(await store.writeActions([w])).toEqual([true]);
        cur = w.action;
        expect((await store.getAction(action.id))?.output).toEqual(output);
      }
    });

    it('a launched action has its launch entry on the timeline', async () => {
      const item = launched();
      await store.insertActions([item]);
      const tl = await store.listTimeline(item.action.id);
      expect(tl).toHaveLength(1);
      expect(tl[0]).toMatchObject({
        actionId: item.action.id,
        at: T0,
        actor: 'system',
        kind: 'launched',
        message: 'Launched Create ticket; Waiting (queued)',
      });
      expect(tl[0]!.data).toBeUndefined();
    });

    it('a large batch is inserted whole', async () => {
      const items = Array.from({ length: 600 }, (_, i) => launched({ createdAt: T0 + i }));
      await store.insertActions(items);
      expect(await db.count('actions')).toBe(600);
      expect(await store.listTimeline(items[599]!.action.id)).toHaveLength(1);
    });

    it('getAction finds each action of a batch, and nothing for an id never inserted', async () => {
      const [a, b] = [launched(), launched()];
      await store.insertActions([a, b]);
      expect(await store.getAction(b.action.id)).toEqual(b.action);
      expect(await store.getAction(a.action.id)).toEqual(a.action);
      expect(await store.getAction('missing')).toBeUndefined();
    });

    it('a launch key finds its action and the hash of the launch request', async () => {
      const item = launched({}, { launchKey: 'idem-1', launchHash: 'sha-abc' });
      await store.insertActions([item, launched()]);
      expect(await store.getActionByLaunchKey('idem-1')).toEqual({ action: item.action, launchHash: 'sha-abc' });
      expect(await store.getActionByLaunchKey('idem-2')).toBeUndefined();
    });

    it('a repeated launch key is a ConflictError and nothing of that batch is stored', async () => {
      await store.insertActions([launched({}, { launchKey: 'idem-1', launchHash: 'h1' })]);
      const innocent = launched();
      await expect(store.insertActions([innocent, launched({}, { launchKey: 'idem-1', launchHash: 'h2' })])).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store.getAction(innocent.action.id)).toBeUndefined();
      expect(await store.listTimeline(innocent.action.id)).toEqual([]);
      expect(await db.count('actions')).toBe(1);
      // The same key twice in one batch is the same conflict.
      await expect(store.insertActions([launched({}, { launchKey: 'k' }), launched({}, { launchKey: 'k' })])).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await db.count('actions')).toBe(1);
    });
  });

  describe('claiming due work', () => {
    const claim = (s: Store, now: number, limit = 100, owner = 'node-1', leaseUntil = now + 30 * SECOND) =>
      s.claimDue({ now, owner, leaseUntil, limit });

    it('claims only due actions, earliest first, up to the limit', async () => {
      const items = [3, 1, 5, 2, 4].map((k) => launched({ dueAt: T0 + k * SECOND }));
      const never = launched({ dueAt: null, phase: 'awaiting_callback' });
      await store.insertActions([...items, never]);
      const first = await claim(store, T0 + 4 * SECOND, 2);
      expect(first.map((a) => a.dueAt).sort()).toEqual([T0 + 30 * SECOND + 4 * SECOND, T0 + 34 * SECOND]);
      expect(ids(first).sort()).toEqual([items[1]!.action.id, items[3]!.action.id].sort());
      const second = await claim(store, T0 + 4 * SECOND, 10);
      expect(ids(second).sort()).toEqual([items[0]!.action.id, items[4]!.action.id].sort());
      expect(await claim(store, T0 + 4 * SECOND, 10)).toEqual([]);
      expect(ids(await claim(store, T0 + 5 * SECOND))).toEqual([items[2]!.action.id]);
      expect(await claim(store, T0 + 100 * HOUR)).toHaveLength(5); // every lease has run out by then; `never` is never due
    });

    it('a claim leases the action: sending, version bumped, due again at the lease end', async () => {
      const item = launched({ dueAt: T0 });
      await store.insertActions([item]);
      const [got] = await store.claimDue({ now: T0, owner: 'node-1', leaseUntil: T0 + 90 * SECOND, limit: 10 });
      const expected = { ...item.action, phase: 'sending', dueAt: T0 + 90 * SECOND, version: 2 };
      expect(got).toEqual(expected);
      expect(await store.getAction(item.action.id)).toEqual(expected);
      expect(await store.listTimeline(item.action.id)).toHaveLength(1); // a claim is not a state change
    });

    it('an action awaiting its callback (for its timeout) or throttled keeps that phase when claimed', async () => {
      const waiting = launched({ phase: 'awaiting_callback', dueAt: T0 + HOUR });
      const throttled = launched({ phase: 'throttled', dueAt: T0 + HOUR });
      const retry = launched({ phase: 'retry_scheduled', dueAt: T0 + HOUR });
      await store.insertActions([waiting, throttled, retry]);
      const got = await claim(store, T0 + HOUR);
      const phaseOf = (id: string) => got.find((a) => a.id === id)?.phase;
      expect([phaseOf(waiting.action.id), phaseOf(throttled.action.id), phaseOf(retry.action.id)]).toEqual([
        'awaiting_callback',
        'throttled',
        'sending',
      ]);
      expect(got.every((a) => a.version === 2 && a.dueAt === T0 + HOUR + 30 * SECOND)).toBe(true);
    });

    it('a claimed action is not claimed again before its lease ends, and is after', async () => {
      const item = launched({ dueAt: T0 });
      await store.insertActions([item]);
      expect(await claim(store, T0, 10, 'node-1', T0 + 30 * SECOND)).toHaveLength(1);
      const other = db.open();
      expect(await claim(other, T0 + 30 * SECOND - 1, 10, 'node-2')).toEqual([]);
      const [again] = await claim(other, T0 + 30 * SECOND, 10, 'node-2', T0 + 60 * SECOND);
      expect(again).toMatchObject({ id: item.action.id, phase: 'sending', version: 3, dueAt: T0 + 60 * SECOND });
    });

    it('concurrent claimers never get the same action', async () => {
      const items = Array.from({ length: 500 }, (_, i) => launched({ dueAt: T0 + i }));
      await store.insertActions(items);
      const nodes = [db.open(), db.open()];
      const perClaimer = await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const mine: string[] = [];
          for (;;) {
            const rows = await nodes[k % 2]!.claimDue({ now: T0 + 10 * SECOND, owner: `claimer-${k}`, leaseUntil: T0 + HOUR, limit: 16 });
            if (rows.length === 0) return mine;
            mine.push(...ids(rows));
          }
        }),
      );
      const all = perClaimer.flat();
      expect(all).toHaveLength(500);
      expect(new Set(all).size).toBe(500);
      expect(await db.count('actions', "phase = 'sending'")).toBe(500);
    });

    it('nextDueAt is the earliest due time, or null when nothing is due', async () => {
      expect(await store.nextDueAt()).toBeNull();
      await store.insertActions([launched({ dueAt: null, phase: 'awaiting_callback' })]);
      expect(await store.nextDueAt()).toBeNull();
      await store.insertActions([launched({ dueAt: T0 + HOUR }), launched({ dueAt: T0 + 2 * HOUR })]);
      expect(await store.nextDueAt()).toBe(T0 + HOUR);
      await claim(store, T0 + HOUR, 10, 'node-1', T0 + 3 * HOUR);
      expect(await store.nextDueAt()).toBe(T0 + 2 * HOUR);
    });
  });
});
