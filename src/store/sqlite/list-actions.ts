// Action lists, newest first (or the earliest due first), filtered and paged; the WHERE clause is shared (`?` parameters, booleans as 0/1).

import type Database from 'better-sqlite3';
import type { ActionRecord } from '../../lifecycle/action.ts';
import type { ActionCounts, ActionFilter, CountsFilter } from '../types.ts';
import { actionOrder, actionWhere } from '../action-where.ts';
import { actionFromRow } from '../rows.ts';
import { prepared } from './statements.ts';
import { countInWindows, scanByDue, scanNewestFirst } from './text-scan.ts';
import { countEach, noCounts, tally } from '../action-counts.ts';
import { dueCursor } from '../../pages.ts';

export const SQLITE = { placeholder: () => '?', bool: (b: boolean) => (b ? 1 : 0), likeIgnoresCase: true };

/**
 * The table a list reads, by the due-time index when it asks for due work (few rows, sorted after):
 * without statistics SQLite walked the whole table by id (to spare the sort) or a state's or queue's
 * index, for the handful of overdue tasks. Not within a text search's window of ids (text-scan.ts).
 */
export function actionsFrom(f: Pick<ActionFilter, 'overdueAt' | 'dueBefore' | 'order'> & { atOrAbove?: string | undefined }): string {
  return (f.overdueAt !== undefined || f.dueBefore !== undefined || f.order === 'due') && f.atOrAbove === undefined
    ? 'actions INDEXED BY actions_work_due'
    : 'actions';
}

export function listActions(db: Database.Database, filter: ActionFilter): ActionRecord[] {
  const { sql, params } = actionWhere(filter, SQLITE);
  const rows = prepared(db, `SELECT * FROM ${actionsFrom(filter)} ${sql} ORDER BY ${actionOrder(filter)} LIMIT ?`).all(
    ...params,
    filter.limit,
  );
  return (rows as Record<string, unknown>[]).map(actionFromRow);
}

/**
 * A page of listActions cut to `maxBytes` of input and output text (at least one action): the sizes
 * are summed in SQL, so an action beyond the budget never reaches the event loop. `more` when the
 * page was cut or filled its limit. A text search reads the table in windows (text-scan.ts).
 */
export async function listActionsPage(
  db: Database.Database,
  filter: ActionFilter,
  maxBytes: number,
): Promise<{ actions: ActionRecord[]; more: boolean; resumeBefore?: string }> {
  if (filter.text === undefined || filter.text === '') {
    const r = pageQuery(db, filter, maxBytes);
    return { actions: r.rows, more: r.rows.length === filter.limit || r.bytes >= maxBytes };
  }
  // Sorted by due time, the search reads the due index in windows as the newest-first one reads ids
  // (one LIKE over every action with a due time held the loop as long as it took: an outside review).
  if (filter.order === 'due') {
    const r = await scanByDue(
      db,
      { ...(filter.afterDue !== undefined ? { after: filter.afterDue } : {}), limit: filter.limit, maxBytes },
      (after, upTo, limit, bytes) =>
        pageQuery(db, { ...filter, ...(after !== undefined ? { afterDue: after } : {}), dueUpTo: upTo, limit }, bytes),
    );
    return {
      actions: r.items,
      more: r.more,
      ...(r.resumeAfter !== undefined ? { resumeBefore: dueCursor({ workDueAt: r.resumeAfter.at, id: r.resumeAfter.id }) } : {}),
    };
  }
  const r = await scanNewestFirst(
    db,
    'actions',
    { ...(filter.before !== undefined ? { before: filter.before } : {}), limit: filter.limit, maxBytes },
    (upper, lower, limit, bytes) => pageQuery(db, { ...filter, before: upper, atOrAbove: lower, limit }, bytes),
  );
  return { actions: r.items, more: r.more, ...(r.resumeBefore !== undefined ? { resumeBefore: r.resumeBefore } : {}) };
}

/** One query of a page: its rows, and the bytes they hold up to the one that crosses `maxBytes`. */
function pageQuery(
  db: Database.Database,
  filter: ActionFilter & { before?: string | undefined; atOrAbove?: string | undefined },
  maxBytes: number,
): { rows: ActionRecord[]; bytes: number } {
  const { sql, params } = actionWhere(filter, SQLITE);
  const rows = prepared(
    db,
    `SELECT * FROM (
       SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY ${actionOrder(filter, 'p.')} ROWS UNBOUNDED PRECEDING) AS page_bytes
         FROM (SELECT *, length(CAST(input AS BLOB)) + coalesce(length(CAST(output AS BLOB)), 0) AS page_row_bytes
                 FROM ${actionsFrom(filter)} ${sql} ORDER BY ${actionOrder(filter)} LIMIT ?) p)
      WHERE page_bytes - page_row_bytes < ? ORDER BY ${actionOrder(filter)}`,
  ).all(...params, filter.limit, maxBytes) as Array<Record<string, unknown> & { page_bytes: number }>;
  return { rows: rows.map(actionFromRow), bytes: rows.at(-1)?.page_bytes ?? 0 };
}

/** How many actions match (the UI's counts per state). */
export function countActions(db: Database.Database, filter: Omit<ActionFilter, 'limit' | 'before'>): number {
  const { sql, params } = actionWhere(filter, SQLITE);
  return (prepared(db, `SELECT count(*) AS n FROM ${actionsFrom(filter)} ${sql}`).get(...params) as { n: number }).n;
}

/** Rows the rest of a text search's filter may match for their text to be read at once (inputs are small, mostly). */
const FEW_ENOUGH = 1_000;

/**
 * The work list's counts. A text search reads every row, so it is counted as the list scans it: in
 * windows of ids with a turn of the event loop between them, one GROUP BY a window for all 16 numbers,
 * and `more` when it stops at the scan's time budget. Its 16 COUNTs held the loop ~190 ms a request on
 * a store of 114 MB, up to 513 ms (an outside review). Without one, the 16 COUNTs on the (state, id) index.
 */
export async function countActionsByState(
  db: Database.Database,
  filter: CountsFilter,
  clock?: () => number,
  window?: { bytes: number; rows: number },
): Promise<ActionCounts> {
  if (filter.text === undefined || filter.text === '') return countEach(filter, async (f) => countActions(db, f));
  const counts = noCounts();
  const byState = (sql: string, params: unknown[]): void => {
    const rows = prepared(
      db,
      `SELECT state, phase, reason, resolution, count(*) AS n FROM actions ${sql} GROUP BY state, phase, reason, resolution`,
    ).all(...params) as Array<{ state: string; phase: string | null; reason: string | null; resolution: string | null; n: number }>;
    for (const r of rows) tally(counts, r, r.n);
  };
  // The rest of the filter narrowing to a few rows (a queue, a case, a person, overdue): their text read
  // at once through that filter's index, exact. Windows would read the whole table for them (a review:
  // q with queue= took 1 s and stopped short, where it had taken 2 ms).
  const { text: _text, textCaseIds: _cases, ...rest } = filter;
  const narrowed = Object.values(rest).some((v) => v !== undefined);
  if (narrowed && countActionsUpTo(db, rest, FEW_ENOUGH + 1) <= FEW_ENOUGH) {
    const { sql, params } = actionWhere(filter, SQLITE);
    byState(sql, params);
    return { ...counts, more: false };
  }
  const done = await countInWindows(
    db,
    'actions',
    (upper, lower) => {
      const { sql, params } = actionWhere({ ...filter, ...(upper !== undefined ? { before: upper } : {}), atOrAbove: lower }, SQLITE);
      byState(sql, params);
    },
    clock,
    window,
  );
  return { ...counts, more: !done };
}

/** How many actions match, counting no further than `upTo` (a saved view's count). */
export function countActionsUpTo(db: Database.Database, filter: Omit<ActionFilter, 'limit' | 'before'>, upTo: number): number {
  const { sql, params } = actionWhere(filter, SQLITE);
  return (
    prepared(db, `SELECT count(*) AS n FROM (SELECT 1 FROM ${actionsFrom(filter)} ${sql} LIMIT ?)`).get(...params, upTo) as { n: number }
  ).n;
}

/** Throttled actions per action type, from the held-backlog index (`actions_throttled`). */
export function countThrottledByActionType(db: Database.Database): Map<string, number> {
  const rows = prepared(
    db,
    "SELECT action_type_id AS id, count(*) AS n FROM actions WHERE phase = 'throttled' AND state = 'waiting' GROUP BY action_type_id",
  ).all() as Array<{ id: string; n: number }>;
  return new Map(rows.map((r) => [r.id, r.n]));
}
