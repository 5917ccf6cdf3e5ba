// Conformance of the bulk launch, bulk replay and schedule operations: the same behaviour on the
// SQLite file and on a fresh PostgreSQL schema, including two nodes racing for the same tick or run.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchAction } from '../../src/lifecycle/launch.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/lifecycle/retry-policy.ts';
import type { ActionRecord } from '../../src/lifecycle/action.ts';
import { ConflictError } from '../../src/errors.ts';
import { uuidv7 } from '../../src/ids.ts';
import type { Store } from '../../src/store/types.ts';
import { backends } from '../helpers/store-pair.ts';
import type { BulkLaunchRow, ScheduleRow } from '../../src/store/bulk-schedule-types.ts';

const T0 = Date.UTC(2030, 0, 1, 9, 0, 0); // beyond 2^31: every time column holds 64-bit values
const lease = (owner: string, now = T0) => ({ owner, now, until: now + 30_000 });

function bulk(over: Partial<BulkLaunchRow> = {}): BulkLaunchRow {
  return {
    id: uuidv7(T0),
    idempotencyKey: null,
    requestHash: null,
    targetKind: 'actionType',
    target: 'type-1',
    titleColumn: null,
    ownerColumn: null,
    actor: 'user:alice',
    status: 'parsing',
    error: null,
    total: 0,
    launched: 0,
    refused: 0,
    leaseOwner: 'node-a',
    leaseUntil: T0 + 30_000,
    createdAt: T0,
    updatedAt: T0,
    finishedAt: null,
    ...over,
  };
}

function schedule(over: Partial<ScheduleRow> = {}): ScheduleRow {
  return {
    id: uuidv7(T0),
    name: 'daily',
    cron: '0 8 * * *',
    timezone: 'Europe/Amsterdam',
    launch: { actionType: 'sync', input: { n: 1 } },
    paused: false,
    nextRunAt: T0,
    lastTickAt: null,
    createdBy: 'user:bob',
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    ...over,
  };
}

function action(over: Partial<ActionRecord>, launchKey?: string) {
  const { action: a, timeline } = launchAction({
    id: uuidv7(over.createdAt ?? T0),
    actionTypeId: 'type-1',
    actionTypeName: 'Type one',
    caseId: null,
    input: {},
    policy: {
      retry: DEFAULT_RETRY_POLICY,
      completion: { mode: 'response', timeoutMs: null, heartbeatTimeoutMs: null },
      allocation: { queue: null, user: null },
    },
    now: over.createdAt ?? T0,
    actor: 'system',
  });
  return { action: { ...a, ...over }, timeline, ...(launchKey ? { launchKey, launchHash: 'h' } : {}) };
}

for (const backend of backends) {
  describe(`${backend.name}: bulk launches, replays and schedules`, () => {
    let a: Store;
    let b: Store;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ a, b, dispose } = await backend.open());
    });
    afterAll(async () => dispose?.());

    it('a bulk launch with a used Idempotency-Key returns the first one', async () => {
      const first = bulk({ id: uuidv7(T0), idempotencyKey: 'key-1', requestHash: 'h1' });
      expect(await a.insertBulkLaunch(first)).toEqual({ created: true, row: first });
      const again = await b.insertBulkLaunch(bulk({ id: uuidv7(T0), idempotencyKey: 'key-1', requestHash: 'h2' }));
      expect(again).toEqual({ created: false, row: first });
      // Without a key, any number of runs.
      expect((await a.insertBulkLaunch(bulk({ id: uuidv7(T0) }))).created).toBe(true);
      expect((await a.insertBulkLaunch(bulk({ id: uuidv7(T0) }))).created).toBe(true);
    });

    it("a process's bulk launch keeps its title and owner columns, as read back and as a stale run is taken over", async () => {
      const cases = bulk({ id: uuidv7(T0), targetKind: 'process', target: 'onboard', titleColumn: 'Name', ownerColumn: 'Account manager' });
      await a.insertBulkLaunch(cases);
      expect(await b.getBulkLaunch(cases.id)).toEqual(cases);
      expect(await b.finishBulkParse(cases.id, lease('node-a'))).toBe(true);
      const taken = await b.claimStaleBulkLaunches(lease('node-b', T0 + 60_000), 50);
      expect(taken.find((t) => t.id === cases.id)).toMatchObject({
        titleColumn: 'Name',
        ownerColumn: 'Account manager',
        leaseOwner: 'node-b',
      });
    });

    it("a bulk replay's Idempotency-Key: one run holds it; repeats see the run, then its report; a stopped run's key is taken over, and only the holder renews, finishes or frees it", async () => {
      const take = (s: Store, now: number, owner: string, hash = 'h1') =>
        s.takeReplayKey({ key: 'replay-1', requestHash: hash, owner, now, leaseUntil: now + 60_000, keepSince: now - 86_400_000 });
      // Two nodes at once: one runs.
      const both = await Promise.all([take(a, T0, 'run-a'), take(b, T0, 'run-b')]);
      expect(both.filter((t) => t.taken)).toHaveLength(1);
      expect(both.find((t) => !t.taken)).toEqual({ taken: false, requestHash: 'h1', report: null });
      const first = both[0]!.taken ? 'run-a' : 'run-b';
      // Renewed by its run, it is not taken over at the first lease's end.
      expect(await a.renewReplayKey('replay-1', first, T0 + 120_000)).toBe(true);
      expect((await take(b, T0 + 60_000, 'run-c')).taken).toBe(false);
      // Its node stopped: once the lease is over, the same request runs again; another request does not.
      expect(await take(b, T0 + 120_000, 'run-c', 'h2')).toEqual({ taken: false, requestHash: 'h1', report: null });
      expect(await take(b, T0 + 120_000, 'run-c')).toEqual({ taken: true });
      // The first run, back: it can no longer renew, free or finish what run-c holds.
      expect(await a.renewReplayKey('replay-1', first, T0 + 300_000)).toBe(false);
      await a.finishReplayKey('replay-1', first, null);
      await a.finishReplayKey('replay-1', first, '{"done":1}');
      expect(await take(a, T0 + 130_000, 'run-d')).toEqual({ taken: false, requestHash: 'h1', report: null });
      await b.finishReplayKey('replay-1', 'run-c', '{"done":3}');
      expect(await take(a, T0 + 200_000, 'run-d')).toEqual({ taken: false, requestHash: 'h1', report: '{"done":3}' });
      // A finished run's report is not freed or replaced.
      await b.finishReplayKey('replay-1', 'run-c', null);
      await b.finishReplayKey('replay-1', 'run-c', '{"done":0}');
      expect((await take(a, T0 + 200_000, 'run-d')).taken).toBe(false);
      expect(await take(a, T0 + 200_000, 'run-d')).toMatchObject({ report: '{"done":3}' });
      // A day after it was taken, forgotten: a new run takes it; a failed run frees it at once.
      expect(await take(a, T0 + 120_000 + 86_400_001, 'run-e')).toEqual({ taken: true });
      await a.finishReplayKey('replay-1', 'run-e', null);
      expect(await take(b, T0 + 120_000 + 86_400_002, 'run-f')).toEqual({ taken: true });
    });

    it('rows go in under the lease, are counted, and their outcomes are recorded once', async () => {
      const run = bulk({ id: uuidv7(T0) });
      await a.insertBulkLaunch(run);
      const errors = [{ field: 'Priority', message: 'must be an integer' }];
      expect(
        await a.insertBulkRows(
          run.id,
          [
            { row: 1, status: 'pending', input: { Title: 'A' } },
            { row: 2, status: 'refused', errors },
            { row: 3, status: 'pending', input: { Title: 'C', n: 3 } },
          ],
          lease('node-a'),
        ),
      ).toBe(true);
      // Another node's writes change nothing.
      expect(await b.insertBulkRows(run.id, [{ row: 4, status: 'pending', input: {} }], lease('node-b'))).toBe(false);
      expect(await a.getBulkLaunch(run.id)).toMatchObject({ status: 'parsing', total: 3, refused: 1, launched: 0 });
      expect(await a.finishBulkParse(run.id, lease('node-a'))).toBe(true);
      expect(await a.listBulkRows(run.id, 0, 10, 'pending')).toEqual([
        { row: 1, status: 'pending', input: { Title: 'A' } },
        { row: 3, status: 'pending', input: { Title: 'C', n: 3 } },
      ]);
      const results = [{ row: 1, status: 'launched' as const, actionId: 'act-1' }];
      expect(await a.recordBulkResults(run.id, results, lease('node-a'))).toBe(true);
      // Recording a row again (a resumed chunk) counts nothing twice.
      expect(await a.recordBulkResults(run.id, [...results, { row: 3, status: 'refused', errors }], lease('node-a'))).toBe(true);
      expect(await b.recordBulkResults(run.id, results, lease('node-b'))).toBe(false);
      expect(await a.getBulkLaunch(run.id)).toMatchObject({ status: 'running', total: 3, launched: 1, refused: 2 });
      expect(await a.listBulkRows(run.id, 1, 10)).toEqual([
        { row: 2, status: 'refused', errors },
        { row: 3, status: 'refused', errors },
      ]);
      expect(await a.finishBulkLaunch(run.id, 'done', null, lease('node-a', T0 + 5))).toBe(true);
      expect(await a.getBulkLaunch(run.id)).toMatchObject({ status: 'done', finishedAt: T0 + 5, leaseUntil: null });
    });

    it('rows list as the runner and the report read them: pending ones up to a byte budget, finished ones alone', async () => {
      const run = bulk({ id: uuidv7(T0) });
      await a.insertBulkLaunch(run);
      const big = (n: number): Record<string, unknown> => ({ Title: `${n}`.padEnd(100_000, 'x') });
      const errors = [{ field: 'Title', message: 'is required' }];
      const rows = [1, 2, 3, 4, 5].map((row) =>
        row === 2 ? { row, status: 'refused' as const, errors } : { row, status: 'pending' as const, input: big(row) },
      );
      expect(await a.insertBulkRows(run.id, rows, lease('node-a'))).toBe(true);
      // A page ends once its inputs pass the budget: the row that crosses it is the last one.
      const page = await a.listBulkRows(run.id, 0, 500, 'pending', 150_000);
      expect(page.map((r) => r.row)).toEqual([1, 3]);
      expect(page[1]).toEqual({ row: 3, status: 'pending', input: big(3) });
      // A single row larger than the budget is still a page, so the runner always moves on.
      expect((await a.listBulkRows(run.id, 3, 500, 'pending', 10)).map((r) => r.row)).toEqual([4]);
      expect((await a.listBulkRows(run.id, 0, 500, 'pending')).map((r) => r.row)).toEqual([1, 3, 4, 5]);
      expect(await a.finishBulkParse(run.id, lease('node-a'))).toBe(true);
      expect(await a.recordBulkResults(run.id, [{ row: 4, status: 'launched', actionId: 'act-4' }], lease('node-a'))).toBe(true);
      // The report's rows: finished only, the pending ones around them skipped.
      expect(await a.listBulkRows(run.id, 0, 10, 'finished')).toEqual([
        { row: 2, status: 'refused', errors },
        { row: 4, status: 'launched', actionId: 'act-4' },
      ]);
      expect(await a.listBulkRows(run.id, 2, 1, 'finished')).toEqual([{ row: 4, status: 'launched', actionId: 'act-4' }]);
    });

    it('a stale run is resumed by one node; a run that was still parsing fails', async () => {
      const running = bulk({ id: uuidv7(T0), status: 'running', leaseUntil: T0 + 1000 });
      const parsing = bulk({ id: uuidv7(T0), status: 'parsing', leaseUntil: T0 + 1000 });
      await a.insertBulkLaunch(running);
      await a.insertBulkLaunch(parsing);
      // Not stale yet.
      expect(await b.claimStaleBulkLaunches(lease('node-b', T0 + 500), 10)).toEqual([]);
      const [x, y] = await Promise.all([
        b.claimStaleBulkLaunches(lease('node-b', T0 + 2000), 10),
        a.claimStaleBulkLaunches(lease('node-c', T0 + 2000), 10),
      ]);
      const claimed = [...x, ...y].filter((r) => r.id === running.id);
      expect(claimed).toHaveLength(1);
      expect(claimed[0]).toMatchObject({ status: 'running', leaseUntil: T0 + 32_000 });
      expect(await a.getBulkLaunch(parsing.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('nothing was launched') });
    });

    it('finds actions by launch key', async () => {
      const one = action({}, 'bulk:x:1');
      await a.insertActions([one, action({}, 'bulk:x:2'), action({})]);
      const found = await b.actionIdsByLaunchKeys(['bulk:x:1', 'bulk:x:2', 'bulk:x:3']);
      expect([...found.keys()].sort()).toEqual(['bulk:x:1', 'bulk:x:2']);
      expect(found.get('bulk:x:1')).toBe(one.action.id);
      expect(await b.actionIdsByLaunchKeys([])).toEqual(new Map());
    });

    it('selects actions for a replay by state, resolution, action types and a time range', async () => {
      const nine = T0 + 3_600_000;
      const closed = (over: Partial<ActionRecord>) =>
        action({ state: 'closed', resolution: 'not_done_successfully', phase: null, dueAt: null, ...over });
      const early = closed({ actionTypeId: 'conn-a-type', closedAt: nine - 1, updatedAt: nine - 1 });
      const late = closed({ actionTypeId: 'conn-a-type', closedAt: nine + 5, updatedAt: nine + 5, createdAt: T0 + 1 });
      const other = closed({ actionTypeId: 'conn-b-type', closedAt: nine + 5, updatedAt: nine + 5 });
      const done = closed({ actionTypeId: 'conn-a-type', resolution: 'done_successfully', closedAt: nine + 5, updatedAt: nine + 5 });
      await a.insertActions([early, late, other, done]);
      const filter = {
        state: 'closed' as const,
        resolution: 'not_done_successfully',
        actionTypeIds: ['conn-a-type'],
        timeField: 'closedAt' as const,
        since: nine,
      };
      expect(await b.countReplayActions(filter)).toBe(1);
      expect((await b.listReplayActions(filter, 10)).map((x) => x.id)).toEqual([late.action.id]);
      expect(await b.listReplayActionIds(filter, 10)).toEqual([late.action.id]);
      // Oldest first, up to the limit: the run reads each action only as it changes it.
      const both = { state: 'closed' as const, resolution: 'not_done_successfully', actionTypeIds: ['conn-a-type'] };
      expect(await b.listReplayActionIds(both, 10)).toEqual([early.action.id, late.action.id].sort());
      expect(await b.listReplayActionIds(both, 1)).toEqual([[early.action.id, late.action.id].sort()[0]]);
      expect(await b.countReplayActions({ ...filter, since: undefined, until: nine })).toBe(1);
      expect(await b.countReplayActions({ ...filter, actionTypeIds: [] })).toBe(0);
      expect(await b.countReplayActions({ state: 'closed', actionTypeIds: ['conn-a-type', 'conn-b-type'] })).toBeGreaterThanOrEqual(4);
    });

    it('schedules: names are unique, updates are guarded by version, delete removes', async () => {
      const s = schedule({ id: uuidv7(T0), name: 'crud' });
      await a.insertSchedule(s);
      await expect(b.insertSchedule(schedule({ id: uuidv7(T0), name: 'crud' }))).rejects.toThrow(ConflictError);
      expect(await b.getSchedule('crud')).toEqual(s);
      expect(await b.getSchedule(s.id)).toEqual(s);
      expect(await a.updateSchedule({ ...s, paused: true, version: 2, updatedAt: T0 + 1 }, 1)).toBe(true);
      expect(await b.updateSchedule({ ...s, paused: false, version: 2 }, 1)).toBe(false);
      expect(await a.getSchedule(s.id)).toMatchObject({ paused: true, version: 2 });
      expect((await a.listSchedules()).map((x) => x.name)).toContain('crud');
      expect(await a.deleteSchedule(s.id)).toBe(true);
      expect(await a.deleteSchedule(s.id)).toBe(false);
      expect(await a.getSchedule(s.id)).toBeUndefined();
    });

    it('listSchedulesPage pages newest first with `before` and `limit`, and cuts a page at a byte budget of launches', async () => {
      // Later than any other test's schedules: the page from `top` starts at the newest of these.
      const at = T0 + 1000 * 86_400_000;
      const top = uuidv7(at + 10_000);
      const rows = [0, 1, 2, 3].map((i) =>
        schedule({
          id: uuidv7(at + i * 1000),
          name: `paged-${i}`,
          launch: { actionType: 'sync', input: { pad: 'x'.repeat(1000 * (i + 1)) } },
        }),
      );
      for (const r of rows) await a.insertSchedule(r);
      const names = (p: { rows: ScheduleRow[] }): string[] => p.rows.map((r) => r.name);
      const first = await b.listSchedulesPage({ before: top, limit: 2, maxBytes: 1e9 });
      expect([names(first), first.more]).toEqual([['paged-3', 'paged-2'], true]);
      expect(first.rows[0]).toEqual(rows[3]);
      const second = await b.listSchedulesPage({ before: first.rows[1]!.id, limit: 2, maxBytes: 1e9 });
      expect(names(second)).toEqual(['paged-1', 'paged-0']);
      // paged-3's launch alone (about 4 KB) crosses 3 KB: it ends the page; paged-2 then crosses 6 KB and is kept.
      const cut = await b.listSchedulesPage({ before: top, limit: 4, maxBytes: 3000 });
      expect([names(cut), cut.more]).toEqual([['paged-3'], true]);
      const cut2 = await b.listSchedulesPage({ before: top, limit: 4, maxBytes: 6000 });
      expect([names(cut2), cut2.more]).toEqual([['paged-3', 'paged-2'], true]);
      for (const r of rows) await a.deleteSchedule(r.id);
    });

    it('two nodes claiming the same due tick: one wins, the schedule advances once', async () => {
      const s = schedule({ id: uuidv7(T0), name: 'race', nextRunAt: T0 + 60_000 });
      await a.insertSchedule(s);
      expect(await a.nextScheduleAt()).toBeLessThanOrEqual(T0 + 60_000);
      const plan = (row: ScheduleRow) => ({ tickAt: row.nextRunAt, nextRunAt: row.nextRunAt! + 60_000 });
      const now = T0 + 60_000;
      const [x, y] = await Promise.all([
        a.claimScheduleTicks({ now, owner: 'node-a', limit: 10 }, plan),
        b.claimScheduleTicks({ now, owner: 'node-b', limit: 10 }, plan),
      ]);
      const mine = [...x, ...y].filter((t) => t.scheduleId === s.id);
      expect(mine).toEqual([expect.objectContaining({ tickAt: T0 + 60_000, launchedId: null })]);
      expect(await a.getSchedule(s.id)).toMatchObject({ nextRunAt: T0 + 120_000, lastTickAt: T0 + 60_000 });
      // The same tick planned again (a node with an old view) inserts nothing.
      await a.updateSchedule({ ...s, nextRunAt: T0 + 60_000, version: 2 }, 1);
      expect(await b.claimScheduleTicks({ now, owner: 'node-b', limit: 10 }, plan)).toEqual([]);
      // An open tick is visible to every node until it has its launch.
      expect((await b.listOpenTicks(now, 10)).map((t) => t.scheduleId)).toContain(s.id);
      expect(await b.listOpenTicks(now - 1, 10)).toEqual([]);
      await a.recordTick(s.id, T0 + 60_000, { launchedId: 'act-9' });
      expect((await b.listOpenTicks(now, 10)).filter((t) => t.scheduleId === s.id)).toEqual([]);
      expect(await b.listScheduleTicks(s.id, 5)).toEqual([expect.objectContaining({ tickAt: T0 + 60_000, launchedId: 'act-9' })]);
    });

    it('paused schedules are not claimed and not counted for the next run', async () => {
      const s = schedule({ id: uuidv7(T0), name: 'sleepy', paused: true, nextRunAt: T0 - 10_000_000 });
      await a.insertSchedule(s);
      const ticks = await a.claimScheduleTicks({ now: T0 + 10_000_000, owner: 'n', limit: 10 }, () => ({ tickAt: 1, nextRunAt: 2 }));
      expect(ticks.filter((t) => t.scheduleId === s.id)).toEqual([]);
      expect(await a.nextScheduleAt()).not.toBe(T0 - 10_000_000);
    });
  });
}
