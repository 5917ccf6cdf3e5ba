// The query plans of a text search's windows on the embedded store: whatever else the filter names,
// each window reads its own range of ids (a queue's index read every action of the queue in every
// window, so the windows bounded nothing).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteStore } from './store.ts';
import { SQLITE, actionsFrom, countActionsByState } from './list-actions.ts';
import { SCAN_BUDGET_MS } from './text-scan.ts';
import { actionWhere } from '../action-where.ts';
import type { ActionFilter } from '../types.ts';
import { T0, launched } from '../../../test/store-conformance/stores.ts';

let dir: string;
let store: SqliteStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callout-plans-'));
  store = new SqliteStore({ file: join(dir, 'callout.db'), synchronous: 'normal' });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it.each<[string, Partial<ActionFilter>]>([
  ['a queue', { queue: 'big' }],
  ['a queue and a state', { queue: 'big', state: 'todo' }],
  ['an assignee', { assignee: 'ann', state: 'todo' }],
  ['unassigned on a queue', { queue: 'big', unassigned: true }],
  ['a connector (its action types)', { actionTypeIds: ['t1', 't2'] }],
  ['an action type', { actionTypeId: 't1' }],
  ['a case', { caseId: 'c1' }],
  ['a state', { state: 'closed' }],
  ['nothing else', {}],
])('a window filtered by %s reads only its ids', (_, f) => {
  const { sql, params } = actionWhere({ ...f, text: 'zzz', before: 'z', atOrAbove: '0' }, SQLITE);
  const plan = (store as unknown as { db: { prepare(s: string): { all(...p: unknown[]): Array<{ detail: string }> } } }).db
    .prepare(`EXPLAIN QUERY PLAN SELECT * FROM actions ${sql} ORDER BY id DESC LIMIT 50`)
    .all(...params)
    .map((r) => r.detail);
  expect(plan.join(' | ')).toMatch(/\(id>\? AND id<\?\)/);
  expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
});

it.each<[string, Partial<ActionFilter>]>([
  ['a queue', { queue: 'big' }],
  ['an assignee', { assignee: 'ann' }],
  ['a case', { caseId: 'c1' }],
  ['work due by a time', { dueBefore: 1 }],
  ['due-time order', { order: 'due' }],
  ['nothing else', {}],
])('a window of the counts filtered by %s reads only its ids', (_, f) => {
  const { sql, params } = actionWhere({ ...f, text: 'zzz', before: 'z', atOrAbove: '0' }, SQLITE);
  const plan = (store as unknown as { db: { prepare(s: string): { all(...p: unknown[]): Array<{ detail: string }> } } }).db
    .prepare(
      `EXPLAIN QUERY PLAN SELECT state, phase, reason, resolution, count(*) AS n FROM actions ${sql} GROUP BY state, phase, reason, resolution`,
    )
    .all(...params)
    .map((r) => r.detail);
  expect(plan[0]).toMatch(/\(id>\? AND id<\?\)/);
});

it('the counts of a text search stop at the scan budget with what they found, and say more', async () => {
  await store.insertActions(Array.from({ length: 30 }, (_, i) => launched({ createdAt: T0 + i, input: { note: `budget-${i}` } })));
  const db = (store as unknown as { db: Parameters<typeof countActionsByState>[0] }).db;
  const window = { bytes: 1e9, rows: 10 };
  expect(await countActionsByState(db, { text: 'budget-' }, undefined, window)).toMatchObject({ states: { waiting: 30 }, more: false });
  // A clock past the budget after each window: the newest ten are counted, and no more is read.
  let now = 0;
  const cut = await countActionsByState(db, { text: 'budget-' }, () => (now += SCAN_BUDGET_MS), window);
  expect(cut).toMatchObject({ states: { waiting: 10, closed: 0 }, phases: { queued: 10 }, more: true });
  // The rest of the filter narrowing to a few rows (a queue here): read at once through its index, exact,
  // however short the budget (windows read the whole table for it: 1 s and a short count, a review found).
  await store.insertActions(
    Array.from({ length: 3 }, (_, i) => launched({ createdAt: T0 + 100 + i, queue: 'desk', input: { note: `budget-q${i}` } })),
  );
  now = 0;
  const narrowed = await countActionsByState(db, { text: 'budget-', queue: 'desk' }, () => (now += SCAN_BUDGET_MS), window);
  expect(narrowed).toMatchObject({ states: { waiting: 3 }, more: false });
});

it.each<[string, Partial<ActionFilter>]>([
  ['overdue', { overdueAt: 1 }],
  ['due before a time', { dueBefore: 1 }],
  ['overdue on a queue', { overdueAt: 1, queue: 'big' }],
])('a list of work %s reads the due-time index', (_, f) => {
  const { sql, params } = actionWhere(f, SQLITE);
  const plan = (store as unknown as { db: { prepare(s: string): { all(...p: unknown[]): Array<{ detail: string }> } } }).db
    .prepare(`EXPLAIN QUERY PLAN SELECT * FROM ${actionsFrom(f)} ${sql} ORDER BY id DESC LIMIT 50`)
    .all(...params)
    .map((r) => r.detail);
  expect(plan.join(' | ')).toMatch(/USING INDEX actions_work_due \(work_due_at<\?\)/);
});
