// PostgreSQL only: a commit that writes work due soon NOTIFYs once, with the earliest due time of the
// commit in the payload, so other nodes set their alarms for it without asking the store; work due
// later than a poll interval away is left to their polls (no NOTIFY).

import { describe, expect, it } from 'vitest';
import { eachStore, T0, HOUR, launched, write, postgresBackend } from './stores.ts';
import { parseWorkPayload } from '../../src/store/postgres/listen.ts';

/** Collects the due times announced to one listener; `next()` resolves at the next one. */
class Announcements {
  readonly got: Array<number | undefined> = [];
  private waiters: Array<() => void> = [];
  readonly onWork = (at?: number): void => {
    this.got.push(at);
    for (const w of this.waiters.splice(0)) w();
  };
  next(ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notification within ${ms} ms`)), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

it('parses payloads: schema@due, the bare schema of an older node (due now), others ignored', () => {
  expect(parseWorkPayload('s1@1767261600000', 's1')).toBe(1767261600000);
  expect(parseWorkPayload('s1', 's1')).toBeUndefined();
  expect(parseWorkPayload('s2@1767261600000', 's1')).toBeNull();
  expect(parseWorkPayload('s2', 's1')).toBeNull();
  expect(parseWorkPayload('a@b@5', 'a@b')).toBe(5);
});

eachStore(
  (ctx) => {
    describe('due times in notifications (PostgreSQL only)', () => {
      it('another node learns the earliest due time of a commit, one notification per commit', async () => {
        const { db, store } = ctx();
        const heard = new Announcements();
        const stop = await store.listen!(heard.onWork);
        const other = db.open();
        try {
          const a = launched({ dueAt: null, phase: 'awaiting_callback' }).action;
          const b = launched({ dueAt: null, phase: 'awaiting_callback' }).action;
          await other.insertActions([
            { action: a, timeline: [] },
            { action: b, timeline: [] },
          ]);
          // One statement (no effects): two retries due soon, one notification with the earlier.
          let next = heard.next();
          await other.writeActions([
            write(a, { phase: 'retry_scheduled', dueAt: T0 + 700, updatedAt: T0 }),
            write(b, { phase: 'retry_scheduled', dueAt: T0 + 300, updatedAt: T0 }),
          ]);
          await next;
          expect(heard.got).toEqual([T0 + 300]);
          // The transaction path (two writes of one action come in waves) carries it too.
          const a2 = { ...a, phase: 'retry_scheduled' as const, dueAt: T0 + 700, updatedAt: T0, version: a.version + 1 };
          const w1 = write(a2, { phase: 'queued', dueAt: T0 + 900, updatedAt: T0 + 100 });
          const w2 = write(w1.action, { phase: 'retry_scheduled', dueAt: T0 + 600, updatedAt: T0 + 100 });
          next = heard.next();
          await other.writeActions([w1, w2]);
          await next;
          expect(heard.got).toEqual([T0 + 300, T0 + 600]);
          // A launch due soon, with its start time.
          next = heard.next();
          await other.insertActions([launched({ dueAt: T0 + 250, createdAt: T0, updatedAt: T0 })]);
          await next;
          expect(heard.got.at(-1)).toBe(T0 + 250);
          // Due beyond the window: no notification (the listener's poll finds it); a later one due now proves none was queued before it.
          const before = heard.got.length;
          const b2 = { ...b, phase: 'retry_scheduled' as const, dueAt: T0 + 300, updatedAt: T0, version: b.version + 1 };
          await other.writeActions([write(b2, { dueAt: T0 + HOUR, updatedAt: T0 + 1 })]);
          next = heard.next();
          await other.insertActions([launched({ createdAt: T0 + 2, updatedAt: T0 + 2, dueAt: T0 + 2 })]);
          await next;
          expect(heard.got.slice(before)).toEqual([T0 + 2]);
        } finally {
          await stop();
        }
      });
    });
  },
  [postgresBackend],
);
