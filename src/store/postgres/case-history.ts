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
