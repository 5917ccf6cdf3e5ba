// Cases that run processes: create (with the first event in the same transaction), find by launch
// key, list and search, version-guarded writes, and the case outbox the case worker drains.

import type Database from 'better-sqlite3';
import type { CaseEvent } from '../../processes/runner.ts';
import type { CaseEventClaim, CaseFilter, CaseOutboxRow, CaseRow, CaseWrite } from '../types.ts';
import type { CaseEventNotice } from '../effects.ts';
import { CASE_COLUMNS, caseFromRow, caseNotices, caseValues, caseWriteSets, containsPattern } from '../rows.ts';
import { ConflictError, InvalidStateError } from '../../errors.ts';
import { reopenedActionRefusal } from '../../processes/step-skip.ts';
import { prepared } from './statements.ts';
import { scanNewestFirst } from './text-scan.ts';
import { insertActions, prepareInserts } from './insert-actions.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';
import type { WebhookEventRow } from '../../webhooks/rows.ts';
import type { NewCaseHistoryEntry } from '../../processes/case-history.ts';
import { insertCaseHistoryTx } from './case-history.ts';

const bool = (b: boolean): number => (b ? 1 : 0);
const INSERT = `INSERT INTO cases (${CASE_COLUMNS.join(', ')}, launch_key, launch_hash) VALUES (${CASE_COLUMNS.map(() => '?').join(', ')}, ?, ?)`;
const EVENT = 'INSERT INTO case_outbox (case_id, event, created_at) VALUES (?, ?, ?)';
// Only cases that run a process have anyone to hear their actions' changes.
// An event of the action not yet applied to its case: the action changed (was retried) after its step failed.
const ACTION_EVENT_WAITING = "SELECT 1 FROM case_outbox WHERE case_id = ? AND json_extract(event, '$.actionId') = ? LIMIT 1";
const ACTION_EVENT = `INSERT INTO case_outbox (case_id, event, created_at) SELECT id, ?, ? FROM cases WHERE id = ? AND process IS NOT NULL`;

export function createCase(
  db: Database.Database,
  row: CaseRow,
  opts: {
    launchKey?: string;
    launchHash?: string;
    startEvent?: CaseEvent;
    events?: WebhookEventRow[];
    history?: NewCaseHistoryEntry[];
  } = {},
): void {
  try {
    db.transaction(() => {
      prepared(db, INSERT).run(...caseValues(row, bool), opts.launchKey ?? null, opts.launchHash ?? null);
      if (opts.startEvent) prepared(db, EVENT).run(row.id, JSON.stringify(opts.startEvent), row.createdAt);
      if (opts.events?.length) insertWebhookEventsTx(db, opts.events);
      if (opts.history?.length) insertCaseHistoryTx(db, row.id, opts.history);
    }).immediate();
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
      throw new ConflictError('A case with this Idempotency-Key already exists');
    throw e;
  }
}

export function getCaseByLaunchKey(db: Database.Database, key: string): { row: CaseRow; launchHash: string | null } | undefined {
  const r = prepared(db, 'SELECT * FROM cases WHERE launch_key = ?').get(key) as Record<string, unknown> | undefined;
  return r ? { row: caseFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
}

export async function listCases(db: Database.Database, f: CaseFilter): Promise<{ cases: CaseRow[]; more: boolean; resumeBefore?: string }> {
  const maxBytes = f.maxBytes ?? Number.MAX_SAFE_INTEGER;
  if (f.q === undefined) {
    const r = casePage(db, f, f.before, undefined, f.limit, maxBytes);
    return { cases: r.rows, more: r.rows.length === f.limit || r.bytes >= maxBytes };
  }
  // A text search reads every case: in windows, on the event loop (text-scan.ts).
  const r = await scanNewestFirst(
    db,
    'cases',
    { ...(f.before !== undefined ? { before: f.before } : {}), limit: f.limit, maxBytes },
    (upper, lower, limit, bytes) => casePage(db, f, upper, lower, limit, bytes),
  );
  return { cases: r.items, more: r.more, ...(r.resumeBefore !== undefined ? { resumeBefore: r.resumeBefore } : {}) };
}

/** The WHERE clause of the cases a filter matches, with ids in [lower, upper). */
function caseWhere(f: Omit<CaseFilter, 'limit'>, upper: string | undefined, lower: string | undefined): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]): void => {
    where.push(sql);
    params.push(...values);
  };
  if (f.status !== undefined) add('status = ?', f.status);
  if (f.owner !== undefined) add('owner = ?', f.owner);
  if (f.process !== undefined) add('process = ?', f.process);
  if (f.escalated !== undefined) add('escalated = ?', f.escalated ? 1 : 0);
  if (f.stopped !== undefined) add(`stopped_at IS ${f.stopped ? 'NOT ' : ''}NULL`);
  if (upper !== undefined) add('id < ?', upper);
  if (lower !== undefined) add('id >= ?', lower);
  if (f.queue !== undefined)
    add(
      `(queue = ? OR EXISTS (SELECT 1 FROM actions a WHERE a.case_id = cases.id AND a.queue = ? AND a.state IN ('todo', 'in_progress')))`,
      f.queue,
      f.queue,
    );
  // LIKE is case-insensitive for ASCII in SQLite, as ILIKE is in PostgreSQL.
  if (f.q !== undefined) add(`(title LIKE ? ESCAPE '\\' OR data LIKE ? ESCAPE '\\')`, containsPattern(f.q), containsPattern(f.q));
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** One query of a page of cases with ids in [lower, upper), cut at maxBytes of data and steps (as listActionsPage). */
function casePage(
  db: Database.Database,
  f: CaseFilter,
  upper: string | undefined,
  lower: string | undefined,
  limit: number,
  maxBytes: number,
): { rows: CaseRow[]; bytes: number } {
  const { sql: where, params } = caseWhere(f, upper, lower);
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, length(CAST(data AS BLOB)) + coalesce(length(CAST(steps AS BLOB)), 0) AS page_row_bytes
              FROM cases ${where} ORDER BY id DESC LIMIT ?) p)
   WHERE page_bytes - page_row_bytes < ? ORDER BY id DESC`;
  const rows = prepared(db, sql).all(...params, limit, maxBytes) as Array<Record<string, unknown> & { page_bytes: number }>;
  return { rows: rows.map(caseFromRow), bytes: rows.at(-1)?.page_bytes ?? 0 };
}

/** How many cases match, counting no further than `upTo` (a saved view's count): never a scan of every case. */
export function countCasesUpTo(db: Database.Database, f: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>, upTo: number): number {
  const { sql, params } = caseWhere(f, undefined, undefined);
  return (prepared(db, `SELECT count(*) AS n FROM (SELECT 1 FROM cases ${sql} LIMIT ?)`).get(...params, upTo) as { n: number }).n;
}

/** `keepNotifications`: the bound on the notifications of people its launches tell (notification-bound.ts). */
export function updateCase(db: Database.Database, w: CaseWrite, keepNotifications: number): boolean {
  return db
    .transaction(() => {
      const sets = caseWriteSets(w, bool);
      let data: string | undefined;
      if (w.dataPatch !== undefined) {
        // Shallow, as PostgreSQL's jsonb || (and as action outputs merge).
        const cur = prepared(db, 'SELECT data FROM cases WHERE id = ?').get(w.id) as { data: string } | undefined;
        if (!cur) return false;
        data = JSON.stringify({ ...(JSON.parse(cur.data) as object), ...w.dataPatch });
        sets.push(['data', data]);
      }
      const sql = `UPDATE cases SET ${sets.map(([c]) => `${c} = ?`).join(', ')}, version = version + 1 WHERE id = ? AND version = ?`;
      const r = prepared(db, sql).run(...sets.map(([, v]) => v), w.id, w.expectedVersion);
      if (r.changes !== 1) return false;
      // Thrown, so the transaction writes nothing: the retry's write came first (writes are one at a time here).
      const skipped = w.skippedAction;
      if (skipped && prepared(db, ACTION_EVENT_WAITING).get(w.id, skipped.actionId))
        throw new InvalidStateError(reopenedActionRefusal(skipped.step, skipped.actionId));
      if (w.appliedEvent !== undefined) prepared(db, 'DELETE FROM case_outbox WHERE seq = ?').run(w.appliedEvent);
      if (w.launches?.length) insertActions(db, prepareInserts(w.launches), keepNotifications);
      for (const e of w.followUps ?? []) prepared(db, EVENT).run(w.id, JSON.stringify(e), w.at);
      if (w.events?.length) insertWebhookEventsTx(db, w.events);
      if (w.history?.length) insertCaseHistoryTx(db, w.id, w.history);
      if (w.notices?.length) {
        insertUserNotices(db, caseNotices(w));
        boundNotifications(
          db,
          w.notices.map((n) => n.user),
          keepNotifications,
        );
      }
      return true;
    })
    .immediate();
}

// The oldest event of each case, and only while no one holds it: a case's events apply one at a time, in order.
const CLAIM = (oneCase: boolean): string => `
UPDATE case_outbox SET lease_until = ? WHERE seq IN (
  SELECT o.seq FROM case_outbox o
   WHERE (o.lease_until IS NULL OR o.lease_until <= ?)
     ${oneCase ? 'AND o.case_id = ?' : ''}
     AND NOT EXISTS (SELECT 1 FROM case_outbox p WHERE p.case_id = o.case_id AND p.seq < o.seq)
   ORDER BY o.seq LIMIT ?)
RETURNING seq, case_id, event, created_at`;

export function claimCaseEvents(db: Database.Database, p: CaseEventClaim): CaseOutboxRow[] {
  // A read first: an idle poll must not take the file's one writer lock from the engine.
  if (!prepared(db, 'SELECT 1 FROM case_outbox WHERE lease_until IS NULL OR lease_until <= ? LIMIT 1').get(p.now)) return [];
  const params = p.caseId !== undefined ? [p.leaseUntil, p.now, p.caseId, p.limit] : [p.leaseUntil, p.now, p.limit];
  const rows = db.transaction(() => prepared(db, CLAIM(p.caseId !== undefined)).all(...params)).immediate() as Array<
    Record<string, unknown>
  >;
  return rows
    .map((r) => ({
      seq: Number(r.seq),
      caseId: r.case_id as string,
      event: JSON.parse(r.event as string) as CaseEvent,
      createdAt: Number(r.created_at),
    }))
    .sort((a, b) => a.seq - b.seq);
}

export function deleteCaseEvent(db: Database.Database, seq: number): void {
  prepared(db, 'DELETE FROM case_outbox WHERE seq = ?').run(seq);
}

// A claim sets lease_until to a time after every earlier lease had ended: the holder's own value names its lease.
export function releaseCaseEvent(db: Database.Database, seq: number, leaseUntil: number, until: number): boolean {
  return prepared(db, 'UPDATE case_outbox SET lease_until = ? WHERE seq = ? AND lease_until = ?').run(until, seq, leaseUntil).changes === 1;
}

/** In the transaction of the action writes that caused them (write-actions.ts). */
export function insertCaseEvents(db: Database.Database, events: CaseEventNotice[]): void {
  for (const e of events) prepared(db, ACTION_EVENT).run(JSON.stringify(e.event), e.at, e.caseId);
}
