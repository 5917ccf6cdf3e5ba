// A text search (`q`) has no index to use: it reads every row, and on the embedded store it runs on
// the event loop. So it reads in windows of ids, newest first, each holding at most WINDOW_BYTES of
// the searched text (measured from the rows' headers with octet_length, which reads no text) and
// WINDOW_ROWS rows, with a turn of the event loop between windows; and it stops after SCAN_BUDGET_MS
// with what it found and where it stopped, the next page going on from there. One search of a 500 MB
// store held the loop 1.9 s, five at once 5.9 s (an outside probe).

import type Database from 'better-sqlite3';
import { prepared } from './statements.ts';
import { StoreStoppedError } from '../failures.ts';

/** The searched text one window reads: a few milliseconds of LIKE. */
const WINDOW_BYTES = 4 * 1024 * 1024;
const WINDOW_ROWS = 5000;
/** How long one request scans before it answers with what it found and where to go on. */
export const SCAN_BUDGET_MS = 1000;

/** The bytes a search reads in a row of each table. */
const SEARCHED: Record<'actions' | 'cases', string> = {
  actions: 'octet_length(input) + coalesce(octet_length(external_reference), 0)',
  cases: 'coalesce(octet_length(title), 0) + octet_length(data)',
};

export interface ScanPage<T> {
  items: T[];
  /** The page filled its limit or its byte budget: read on from its last item. */
  more: boolean;
  /** The scan stopped at its time budget before the table's end: read on before this id. */
  resumeBefore?: string;
}

/**
 * Scans `table` newest first from `before`. `page(upper, lower, limit, maxBytes)` runs the page
 * query restricted to ids in [lower, upper) and answers its rows and the bytes they hold; the
 * budgets of rows and bytes run across windows.
 */
export async function scanNewestFirst<T>(
  db: Database.Database,
  table: 'actions' | 'cases',
  o: { before?: string; limit: number; maxBytes: number },
  page: (upper: string | undefined, lower: string, limit: number, maxBytes: number) => { rows: T[]; bytes: number },
  clock: () => number = () => performance.now(),
  window: { bytes: number; rows: number } = { bytes: WINDOW_BYTES, rows: WINDOW_ROWS },
): Promise<ScanPage<T>> {
  const r = await inWindows(db, o.before, o, (upper) => floorOf(db, table, upper, window), page, clock);
  return { items: r.items, more: r.more, ...(r.stoppedAt !== undefined ? { resumeBefore: r.stoppedAt } : {}) };
}

/**
 * scanNewestFirst for a count (the work list's counts with `q`): `count(upper, lower)` counts the ids
 * in [lower, upper) of each window, under the same pauses and time budget; false when it stopped at
 * the budget before the table's end (what it counted is then what it found so far).
 */
export async function countInWindows(
  db: Database.Database,
  table: 'actions' | 'cases',
  count: (upper: string | undefined, lower: string) => void,
  clock: () => number = () => performance.now(),
  window: { bytes: number; rows: number } = { bytes: WINDOW_BYTES, rows: WINDOW_ROWS },
): Promise<boolean> {
  const r = await inWindows(
    db,
    undefined,
    { limit: Infinity, maxBytes: Infinity },
    (upper: string | undefined) => floorOf(db, table, upper, window),
    (upper, lower) => (count(upper, lower), { rows: [], bytes: 0 }),
    clock,
  );
  return r.stoppedAt === undefined;
}

/**
 * The scan of both orders: from `start` (none: the beginning), the next window's far end from `end`,
 * its page from `page(from, to, …)` (from exclusive, to inclusive); the row and byte budgets run across
 * windows, a turn of the event loop between them, and it stops after SCAN_BUDGET_MS at the key it reached.
 */
async function inWindows<K, T>(
  db: Database.Database,
  start: K | undefined,
  o: { limit: number; maxBytes: number },
  end: (from: K | undefined) => K | undefined,
  page: (from: K | undefined, to: K, limit: number, maxBytes: number) => { rows: T[]; bytes: number },
  clock: () => number,
): Promise<{ items: T[]; more: boolean; stoppedAt?: K }> {
  const items: T[] = [];
  let bytes = 0;
  let from = start;
  const started = clock();
  for (;;) {
    const to = end(from);
    if (to === undefined) return { items, more: false };
    const r = page(from, to, o.limit - items.length, o.maxBytes - bytes);
    items.push(...r.rows);
    bytes += r.bytes;
    if (items.length >= o.limit || bytes >= o.maxBytes) return { items, more: true };
    from = to;
    if (clock() - started >= SCAN_BUDGET_MS) return { items, more: false, stoppedAt: from };
    await new Promise((resolve) => setImmediate(resolve));
    // Closed meanwhile (a node stopping): the store's 503, not better-sqlite3's TypeError as a 500.
    if (!db.open) throw new StoreStoppedError('the store is closed');
  }
}

/**
 * The lowest id of the next window below `upper`: as many rows as fit in the window's bytes (at
 * least one) and rows; undefined when no row is left.
 */
function floorOf(
  db: Database.Database,
  table: 'actions' | 'cases',
  upper: string | undefined,
  w: { bytes: number; rows: number },
): string | undefined {
  // The LIMIT inside, the running sum outside it: a window function beside the LIMIT would sum every row below.
  const sql = `SELECT id FROM (
      SELECT id, sz, sum(sz) OVER (ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS run FROM (
        SELECT id, ${SEARCHED[table]} AS sz FROM ${table} ${upper === undefined ? '' : 'WHERE id < ?'} ORDER BY id DESC LIMIT ?))
     WHERE run - sz < ? ORDER BY id ASC LIMIT 1`;
  const args = upper === undefined ? [w.rows, w.bytes] : [upper, w.rows, w.bytes];
  return (prepared(db, sql).get(...args) as { id: string } | undefined)?.id;
}

/** A place in the order of due times: a due time and the id after which ties go on. */
export interface DueKey {
  at: number;
  id: string;
}

/**
 * scanNewestFirst for a list sorted by due time (`sort=due` with `q`): the actions that have a due
 * time, earliest first from after `after`, in windows of the due index; `page(after, upTo, limit,
 * maxBytes)` runs the page query restricted to keys in (after, upTo]. `resumeAfter`: where it stopped.
 */
export async function scanByDue<T>(
  db: Database.Database,
  o: { after?: DueKey; limit: number; maxBytes: number },
  page: (after: DueKey | undefined, upTo: DueKey, limit: number, maxBytes: number) => { rows: T[]; bytes: number },
  clock: () => number = () => performance.now(),
  window: { bytes: number; rows: number } = { bytes: WINDOW_BYTES, rows: WINDOW_ROWS },
): Promise<ScanPage<T> & { resumeAfter?: DueKey }> {
  const r = await inWindows(db, o.after, o, (after) => dueCeilingOf(db, after, window), page, clock);
  return { items: r.items, more: r.more, ...(r.stoppedAt !== undefined ? { resumeAfter: r.stoppedAt } : {}) };
}

/** The last key of the next window of due actions after `after` (as floorOf's, in due order); undefined when none is left. */
function dueCeilingOf(db: Database.Database, after: DueKey | undefined, w: { bytes: number; rows: number }): DueKey | undefined {
  const sql = `SELECT work_due_at AS at, id FROM (
      SELECT work_due_at, id, sz, sum(sz) OVER (ORDER BY work_due_at, id ROWS UNBOUNDED PRECEDING) AS run FROM (
        SELECT work_due_at, id, ${SEARCHED.actions} AS sz FROM actions INDEXED BY actions_work_due
         WHERE work_due_at IS NOT NULL${after === undefined ? '' : ' AND (work_due_at > ? OR (work_due_at = ? AND id > ?))'}
         ORDER BY work_due_at, id LIMIT ?))
     WHERE run - sz < ? ORDER BY work_due_at DESC, id DESC LIMIT 1`;
  const args = after === undefined ? [w.rows, w.bytes] : [after.at, after.at, after.id, w.rows, w.bytes];
  const r = prepared(db, sql).get(...args) as { at: number; id: string } | undefined;
  return r === undefined ? undefined : { at: Number(r.at), id: r.id };
}
