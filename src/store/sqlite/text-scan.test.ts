import { afterEach, beforeEach, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCAN_BUDGET_MS, scanByDue, scanNewestFirst, type DueKey } from './text-scan.ts';
import { isStoreStopped } from '../failures.ts';

let dir: string;
let db: Database.Database;
const ids = Array.from({ length: 5000 }, (_, i) => `id-${String(i).padStart(5, '0')}`);
const matching = ids.filter((_, i) => i % 7 === 0).reverse();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callout-scan-'));
  db = new Database(join(dir, 'scan.db'));
  db.exec('CREATE TABLE actions (id TEXT PRIMARY KEY, n INTEGER, input TEXT, external_reference TEXT)');
  const ins = db.prepare('INSERT INTO actions VALUES (?, ?, ?, NULL)');
  // Every hundredth row is large (100 KB of input), the rest a few bytes.
  db.transaction(() => ids.forEach((id, i) => ins.run(id, i, i % 100 === 0 ? 'x'.repeat(100_000) : '{}')))();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The rows with n divisible by 7 in [lower, upper), newest first, each counted as 10 bytes. */
const page = (windows: string[]) => (upper: string | undefined, lower: string, limit: number) => {
  windows.push(`${lower}..${upper ?? ''}`);
  const rows = (
    db
      .prepare(`SELECT id FROM actions WHERE n % 7 = 0 AND id < ? AND id >= ? ORDER BY id DESC LIMIT ?`)
      .all(upper ?? '~', lower, limit) as Array<{ id: string }>
  ).map((r) => r.id);
  return { rows, bytes: rows.length * 10 };
};

it('reads the table in windows of ids, newest first, a turn of the event loop between them, and finds what one query would', async () => {
  const windows: string[] = [];
  let turns = 0;
  const tick = setInterval(() => turns++, 0);
  const r = await scanNewestFirst(db, 'actions', { limit: 10_000, maxBytes: 1e9 }, page(windows));
  clearInterval(tick);
  expect(r).toEqual({ items: matching, more: false });
  // 50 rows of 100 KB: about 5 MB, so two windows of at most 4 MB.
  expect(windows).toHaveLength(2);
  expect(turns).toBeGreaterThan(0);
});

it('a window holds at most its bytes of searched text (at least one row) and its rows', async () => {
  const windows: string[] = [];
  await scanNewestFirst(db, 'actions', { limit: 10_000, maxBytes: 1e9 }, page(windows), undefined, { bytes: 250_000, rows: 1000 });
  // 100 KB rows every hundred: a window ends at the third of them, or at 1,000 rows.
  const sizes = windows.map((w) => {
    const [lower, upper] = w.split('..');
    return db.prepare('SELECT count(*) AS n, sum(length(input)) AS b FROM actions WHERE id >= ? AND id < ?').get(lower, upper || '~') as {
      n: number;
      b: number;
    };
  });
  expect(sizes.every((s) => s.n <= 1000 && (s.b - 100_000 < 250_000 || s.n === 1))).toBe(true);
  expect(sizes.reduce((a, s) => a + s.n, 0)).toBe(5000);
  expect(windows.length).toBeGreaterThanOrEqual(17);
});

it('a page ends at its limit or its bytes, and one read on from it finds the rest', async () => {
  const first = await scanNewestFirst(db, 'actions', { limit: 100, maxBytes: 1e9 }, page([]));
  expect(first).toEqual({ items: matching.slice(0, 100), more: true });
  const rest = await scanNewestFirst(db, 'actions', { before: first.items.at(-1)!, limit: 10_000, maxBytes: 1e9 }, page([]));
  expect([...first.items, ...rest.items]).toEqual(matching);
  expect((await scanNewestFirst(db, 'actions', { limit: 10_000, maxBytes: 55 }, page([]))).more).toBe(true);
});

it('stops at its time budget with where it stopped; going on from there finds every row once', async () => {
  // A clock that moves a third of the budget each time it is read: the scan stops after a window or two.
  let now = 0;
  const clock = (): number => (now += SCAN_BUDGET_MS / 3);
  const found: string[] = [];
  let before: string | undefined;
  let requests = 0;
  for (;;) {
    const r = await scanNewestFirst(db, 'actions', { ...(before ? { before } : {}), limit: 10_000, maxBytes: 1e9 }, page([]), clock, {
      bytes: 1e9,
      rows: 500,
    });
    found.push(...r.items);
    requests++;
    if (r.resumeBefore === undefined) break;
    before = r.resumeBefore;
  }
  expect(requests).toBeGreaterThan(1);
  expect(found).toEqual(matching);
});

it('by due time: windows of the due index, earliest first, ties by id; a page and a budget stop go on from where they ended', async () => {
  db.exec('ALTER TABLE actions ADD COLUMN work_due_at INTEGER');
  db.exec('CREATE INDEX actions_work_due ON actions (work_due_at) WHERE work_due_at IS NOT NULL');
  // Due times in 500 groups of ten ties, written in another order than their ids; every tenth row has none.
  db.transaction(() =>
    ids.forEach((id, i) => i % 10 !== 9 && db.prepare('UPDATE actions SET work_due_at = ? WHERE id = ?').run(1000 + ((i * 37) % 500), id)),
  )();
  const want = (
    db.prepare('SELECT id FROM actions WHERE n % 7 = 0 AND work_due_at IS NOT NULL ORDER BY work_due_at, id').all() as Array<{ id: string }>
  ).map((r) => r.id);
  const windows: string[] = [];
  const duePage = (after: DueKey | undefined, upTo: DueKey, limit: number) => {
    windows.push(`${after?.at ?? ''}..${upTo.at}`);
    const rows = (
      db
        .prepare(
          `SELECT id FROM actions WHERE n % 7 = 0 AND work_due_at IS NOT NULL
             AND (work_due_at > ? OR (work_due_at = ? AND id > ?)) AND (work_due_at < ? OR (work_due_at = ? AND id <= ?))
           ORDER BY work_due_at, id LIMIT ?`,
        )
        .all(after?.at ?? -1, after?.at ?? -1, after?.id ?? '', upTo.at, upTo.at, upTo.id, limit) as Array<{ id: string }>
    ).map((r) => r.id);
    return { rows, bytes: rows.length * 10 };
  };
  const whole = await scanByDue(db, { limit: 10_000, maxBytes: 1e9 }, duePage, undefined, { bytes: 1e9, rows: 500 });
  expect(whole).toEqual({ items: want, more: false });
  expect(windows).toHaveLength(9); // 4,500 rows with a due time, 500 a window
  // A page of 100, then on from its last row (the key the list's cursor carries).
  const first = await scanByDue(db, { limit: 100, maxBytes: 1e9 }, duePage);
  expect(first.more).toBe(true);
  const last = db.prepare('SELECT work_due_at AS at, id FROM actions WHERE id = ?').get(first.items.at(-1)) as DueKey;
  const rest = await scanByDue(db, { after: { at: Number(last.at), id: last.id }, limit: 10_000, maxBytes: 1e9 }, duePage);
  expect([...first.items, ...rest.items]).toEqual(want);
  // A clock past the budget after every window: it stops with where it stopped, and going on finds every row once.
  let now = 0;
  const found: string[] = [];
  let after: DueKey | undefined;
  for (let requests = 0; requests < 100; requests++) {
    const r = await scanByDue(db, { ...(after ? { after } : {}), limit: 10_000, maxBytes: 1e9 }, duePage, () => (now += SCAN_BUDGET_MS), {
      bytes: 1e9,
      rows: 700,
    });
    found.push(...r.items);
    if (r.resumeAfter === undefined) break;
    after = r.resumeAfter;
  }
  expect(found).toEqual(want);
});

it('a store closed between two windows (a node stopping) ends the scan as a stopped store, which the API answers 503', async () => {
  const windows: string[] = [];
  const scan = scanNewestFirst(db, 'actions', { limit: 10_000, maxBytes: 1e9 }, page(windows), undefined, { bytes: 250_000, rows: 1000 });
  // The first window is read at once; the close lands in the turn before the second.
  db.close();
  await expect(scan).rejects.toSatisfy((e) => isStoreStopped(e) && /closed/.test((e as Error).message));
  expect(windows).toHaveLength(1);
  db = new Database(join(dir, 'scan.db')); // for afterEach
});
