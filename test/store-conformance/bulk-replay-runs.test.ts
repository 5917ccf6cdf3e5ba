// Bulk replay runs on every store, with the clock injected (nothing sleeps): a live run moves its row
// each minute even while one action takes long, a run whose node stopped reads as interrupted (alike
// on its own and in the list), the list pages newest first by owner, and runs 30 days old are deleted
// with their items, a bounded batch at a time, as new runs start.

import { expect, it } from 'vitest';
import { FakeClock, isoTime } from '../../src/clock.ts';
import { ValidationError } from '../../src/errors.ts';
import { uuidv7 } from '../../src/ids.ts';
import { BulkReplayService, RUN_KEPT_MS, RUN_LEASE_MS } from '../../src/bulk-replays/service.ts';
import type { ReplayRunRow } from '../../src/store/bulk-schedule-types.ts';
import { eachStore, launched } from './stores.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const body = { filter: { state: 'todo' as const }, operation: 'retry' as const };
const alice = { user: 'alice', admin: false };
const admin = { user: 'root', admin: true };

eachStore((ctx) => {
  const db = () => ctx().db;
  const setup = async (retry: (id: string) => Promise<void> = async () => undefined, actions = 3) => {
    const { store } = ctx();
    await store.insertActions(
      Array.from({ length: actions }, (_, i) => launched({ createdAt: 1_000 + i, state: 'todo', reason: 'request_rejected' })),
    );
    const clock = new FakeClock();
    const replays = new BulkReplayService(store, { retry, close: async () => undefined }, clock, async () => ({
      error: 'not previewed here',
    }));
    return { store, clock, replays };
  };
  /** A run's row as a node writes it when it starts, `at` its start. */
  const started = (at: number, over: Partial<ReplayRunRow> = {}): ReplayRunRow => ({
    id: uuidv7(at),
    createdBy: 'alice',
    operation: 'retry',
    request: JSON.stringify(body),
    status: 'running',
    count: 3,
    done: 0,
    skipped: 0,
    remaining: 0,
    error: null,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    ...over,
  });

  it('a run whose node stopped reads as running for a lease, then as interrupted, alike on its own and in the list', async () => {
    const { store, clock, replays } = await setup();
    const row = started(clock.now(), { done: 1 });
    await store.insertReplayRun(row);
    await store.recordReplayItems(row.id, [{ seq: 1, actionId: 'a-1', status: 'done', reason: null }], {
      done: 1,
      skipped: 0,
      updatedAt: clock.now(),
    });
    clock.advance(RUN_LEASE_MS);
    expect(await replays.getRun(row.id, alice)).toMatchObject({ status: 'running', error: null });
    clock.advance(1);
    const one = await replays.getRun(row.id, alice);
    expect(one).toMatchObject({ status: 'interrupted', finishedAt: null, done: 1, items: [{ n: 1, id: 'a-1', status: 'done' }] });
    expect(one.error).toBe(
      `Its node stopped during the run, about ${isoTime(row.updatedAt)}: the actions listed are what it did; preview again for what is left`,
    );
    const { items, ...summary } = one;
    expect(items).toHaveLength(1);
    const { nextItem: _, ...listed } = summary;
    expect((await replays.listRuns(alice)).items).toEqual([listed]);
    // Read only: the row still says running (a run that was only held up reads as running once it moves).
    expect((await store.getReplayRun(row.id))?.status).toBe('running');
  });

  it('a live run moves its row each minute while one action takes 25 minutes, so it never reads as interrupted', async () => {
    const seen: Array<{ status: string; updatedAt: string }> = [];
    let n = 0;
    const { clock, replays } = await setup(async () => {
      if (++n !== 2) return;
      for (let m = 0; m < 25; m++) clock.advance(MINUTE);
      const [run] = (await replays.listRuns(alice)).items;
      const now = isoTime(clock.now());
      // The touch the last minute's timer started has landed (a store on a thread or a server answers later).
      await expect.poll(async () => (await replays.getRun(run!.id, alice)).updatedAt).toBe(now);
      const read = await replays.getRun(run!.id, alice);
      seen.push({ status: read.status, updatedAt: read.updatedAt });
    });
    const report = await replays.replay(body, 'alice');
    expect(report).toMatchObject({ done: 3 });
    expect(seen).toEqual([{ status: 'running', updatedAt: isoTime(Date.UTC(2026, 0, 1) + 25 * MINUTE) }]);
    // Ended: its timer stopped with it, and its end is not moved on afterwards.
    clock.advance(5 * MINUTE);
    const kept = await replays.getRun((report as { id: string }).id, alice);
    expect(kept).toMatchObject({ status: 'done', updatedAt: kept.finishedAt });
  });

  it('lists runs newest first without items, a page at a time: an operator their own, an admin all or one person’s', async () => {
    const { store, clock, replays } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const row = started(clock.now(), { createdBy: i % 2 === 0 ? 'alice' : 'bob', status: 'done', finishedAt: clock.now() });
      await store.insertReplayRun(row);
      ids.push(row.id);
    }
    const [a1, b1, a2, b2, a3] = ids;
    const p1 = await replays.listRuns(alice, { limit: 2 });
    expect(p1.items.map((r) => r.id)).toEqual([a3, a2]);
    expect(p1.items[0]).not.toHaveProperty('items');
    expect(p1.next).toBe(a2);
    const p2 = await replays.listRuns(alice, { limit: 2, before: p1.next! });
    expect([p2.items.map((r) => r.id), p2.next]).toEqual([[a1], null]);
    // Naming someone else gives an operator none of theirs: their own list, filtered.
    expect(await replays.listRuns(alice, { createdBy: 'bob' })).toEqual({ items: [], next: null });
    expect((await replays.listRuns(alice, { createdBy: 'alice' })).items.map((r) => r.id)).toEqual([a3, a2, a1]);
    expect((await replays.listRuns(admin)).items.map((r) => r.id)).toEqual([a3, b2, a2, b1, a1]);
    expect((await replays.listRuns(admin, { createdBy: 'bob' })).items.map((r) => r.id)).toEqual([b2, b1]);
    const e = await replays.listRuns(admin, { before: "' OR 1=1 --" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).errors).toEqual([{ field: 'before', message: 'is not an id: pass the `next` of the previous page' }]);
  });

  it('a new run deletes runs that ended (or stopped) over 30 days ago, with their items, and keeps younger ones', async () => {
    const { store, clock, replays } = await setup();
    const t0 = clock.now();
    const items = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ seq: i + 1, actionId: `a-${i}`, status: 'done' as const, reason: null }));
    const ended = started(t0, { status: 'done', finishedAt: t0 });
    const stopped = started(t0 + 1, { updatedAt: t0 + 1 });
    const younger = started(t0 + DAY, { status: 'failed', error: 'x', finishedAt: t0 + DAY, updatedAt: t0 + DAY });
    for (const r of [ended, stopped, younger]) {
      await store.insertReplayRun(r);
      await store.recordReplayItems(r.id, items(r === ended ? 2500 : 3), { done: 3, skipped: 0, updatedAt: r.updatedAt });
    }
    clock.set(t0 + 1 + RUN_KEPT_MS);
    await replays.replay(body, 'alice');
    // `stopped` moved 1 ms before the cut-off's edge: not older than 30 days yet, so kept this time.
    expect(await db().count('bulk_replay_runs', `id IN ('${ended.id}', '${stopped.id}', '${younger.id}')`)).toBe(2);
    expect(await db().count('bulk_replay_items', `run_id = '${ended.id}'`)).toBe(0);
    clock.advance(1);
    await replays.replay(body, 'alice');
    expect(await db().count('bulk_replay_runs', `id IN ('${ended.id}', '${stopped.id}')`)).toBe(0);
    expect(await db().count('bulk_replay_items', `run_id = '${stopped.id}'`)).toBe(0);
    expect(await db().count('bulk_replay_items', `run_id = '${younger.id}'`)).toBe(3);
    expect((await replays.listRuns(alice)).items).toHaveLength(3);
  });

  it('a prune stops at its item budget, leaving the rest of a run for the next one, never items without their run', async () => {
    const { store, clock } = await setup();
    const t0 = clock.now();
    const big = started(t0, { status: 'done', finishedAt: t0 });
    const small = started(t0 + 1, { status: 'done', finishedAt: t0 + 1, updatedAt: t0 + 1 });
    await store.insertReplayRun(big);
    await store.insertReplayRun(small);
    const items = Array.from({ length: 2500 }, (_, i) => ({ seq: i + 1, actionId: `a-${i}`, status: 'done' as const, reason: null }));
    await store.recordReplayItems(big.id, items, { done: 2500, skipped: 0, updatedAt: t0 });
    await store.recordReplayItems(small.id, items.slice(0, 2), { done: 2, skipped: 0, updatedAt: t0 + 1 });
    expect(await store.pruneReplayRuns(t0 + 10, { runs: 10, items: 1500 })).toBe(0);
    expect(await db().count('bulk_replay_items', `run_id = '${big.id}'`)).toBe(1000);
    expect(await db().count('bulk_replay_runs')).toBe(2);
    expect(await store.pruneReplayRuns(t0 + 10, { runs: 1, items: 1500 })).toBe(1);
    expect(await db().count('bulk_replay_items', `run_id = '${big.id}'`)).toBe(0);
    expect(await store.pruneReplayRuns(t0 + 10, { runs: 10, items: 1500 })).toBe(1);
    expect([await db().count('bulk_replay_runs'), await db().count('bulk_replay_items')]).toEqual([0, 0]);
  });
});
