// A case's history (processes/case-history.ts): written in the transaction of the change it records,
// read a page at a time, newest first. Only the newest CASE_HISTORY_KEPT entries of a case are kept.

import type Database from 'better-sqlite3';
import { CASE_HISTORY_KEPT, type NewCaseHistoryEntry } from '../../processes/case-history.ts';
import type { CaseHistoryRow } from '../types.ts';
import { caseHistoryFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

const INSERT = 'INSERT INTO case_history (case_id, at, kind, step, actor, detail) VALUES (?, ?, ?, ?, ?, ?)';
// The index (case_id, seq) finds the first entry past the kept ones; nothing is read when there is none.
const PRUNE = `DELETE FROM case_history WHERE case_id = ? AND seq <= (
  SELECT seq FROM case_history WHERE case_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`;

/** Inside a transaction the caller holds. */
export function insertCaseHistoryTx(db: Database.Database, caseId: string, entries: readonly NewCaseHistoryEntry[]): void {
  if (entries.length === 0) return;
  for (const e of entries) prepared(db, INSERT).run(caseId, e.at, e.kind, e.step, e.actor, JSON.stringify(e.detail));
  prepared(db, PRUNE).run(caseId, caseId, CASE_HISTORY_KEPT);
}

export function listCaseHistory(db: Database.Database, caseId: string, page: { before?: number; limit: number }): CaseHistoryRow[] {
  const rows =
    page.before === undefined
      ? prepared(db, 'SELECT * FROM case_history WHERE case_id = ? ORDER BY seq DESC LIMIT ?').all(caseId, page.limit)
      : prepared(db, 'SELECT * FROM case_history WHERE case_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?').all(
          caseId,
          page.before,
          page.limit,
        );
  return (rows as Array<Record<string, unknown>>).map(caseHistoryFromRow);
}
