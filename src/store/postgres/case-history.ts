// A case's history (processes/case-history.ts): written in the transaction of the change it records,
// read a page at a time, newest first. Only the newest CASE_HISTORY_KEPT entries of a case are kept.

import type { Pool, PoolClient } from 'pg';
import { CASE_HISTORY_KEPT, type NewCaseHistoryEntry } from '../../processes/case-history.ts';
import type { CaseHistoryRow } from '../types.ts';
import { caseHistoryFromRow } from '../rows.ts';

const INSERT = `INSERT INTO case_history (case_id, at, kind, step, actor, detail)
SELECT $1, e.at, e.kind, e.step, e.actor, e.detail
  FROM jsonb_to_recordset($2::jsonb) AS e(ord INTEGER, at BIGINT, kind TEXT, step TEXT, actor TEXT, detail JSONB)
 ORDER BY e.ord`;
// The index (case_id, seq) finds the first entry past the kept ones; nothing is read when there is none.
const PRUNE = `DELETE FROM case_history WHERE case_id = $1 AND seq <= (
  SELECT seq FROM case_history WHERE case_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)`;

/**
 * A case's guarded UPDATE (`update`, its WHERE naming the case by `$<idParam>`) made one statement with
 * the history it writes: the entries go in only when the update applied, and the oldest past
 * CASE_HISTORY_KEPT go out. One statement, not a transaction of four, so a PATCH costs one round trip
 * as before (eight clients PATCHing a case at once made a third fewer PATCHes). Its one row's `n` is
 * 1 when the update applied.
 */
export function updateWithHistory(
  update: string,
  params: unknown[],
  idParam: number,
  entries: readonly NewCaseHistoryEntry[],
): { sql: string; params: unknown[] } {
  const p = [...params, JSON.stringify(entries.map((e, ord) => ({ ...e, ord }))), Math.max(0, CASE_HISTORY_KEPT - entries.length)];
  const json = `$${p.length - 1}`;
  const keep = `$${p.length}`;
  // The DELETE sees the history as it was before this statement: it keeps the newest `keep` of those.
  const sql = `WITH u AS (${update} RETURNING id),
  pruned AS (DELETE FROM case_history WHERE case_id IN (SELECT id FROM u) AND seq <= (
    SELECT seq FROM case_history WHERE case_id = $${idParam} ORDER BY seq DESC LIMIT 1 OFFSET ${keep})),
  added AS (INSERT INTO case_history (case_id, at, kind, step, actor, detail)
    SELECT u.id, e.at, e.kind, e.step, e.actor, e.detail
      FROM u CROSS JOIN jsonb_to_recordset(${json}::jsonb) AS e(ord INTEGER, at BIGINT, kind TEXT, step TEXT, actor TEXT, detail JSONB)
     ORDER BY e.ord)
SELECT count(*)::int AS n FROM u`;
  return { sql, params: p };
}

/** Inside a transaction the caller holds. */
export async function insertCaseHistoryTx(client: PoolClient, caseId: string, entries: readonly NewCaseHistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await client.query(INSERT, [caseId, JSON.stringify(entries.map((e, ord) => ({ ...e, ord })))]);
  await client.query(PRUNE, [caseId, CASE_HISTORY_KEPT]);
}

export async function listCaseHistory(pool: Pool, caseId: string, page: { before?: number; limit: number }): Promise<CaseHistoryRow[]> {
  const r =
    page.before === undefined
      ? await pool.query('SELECT * FROM case_history WHERE case_id = $1 ORDER BY seq DESC LIMIT $2', [caseId, page.limit])
      : await pool.query('SELECT * FROM case_history WHERE case_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', [
          caseId,
          page.before,
          page.limit,
        ]);
  return (r.rows as Array<Record<string, unknown>>).map(caseHistoryFromRow);
}
