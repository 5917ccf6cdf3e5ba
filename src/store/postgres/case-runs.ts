// Cases that run processes: create (with the first event in the same transaction), find by launch
// key, list and search, version-guarded writes, and the case outbox the case workers of every node
// drain (claimed with SKIP LOCKED, so two nodes never apply one case's event at once).

import { DatabaseError, type Pool, type QueryResult } from 'pg';
import type { CaseEvent } from '../../processes/runner.ts';
import type { CaseEventClaim, CaseFilter, CaseOutboxRow, CaseRow, CaseWrite } from '../types.ts';
import { CASE_COLUMNS, caseFromRow, caseNotices, caseValues, caseWriteSets, containsPattern } from '../rows.ts';
import { ConflictError, InvalidStateError } from '../../errors.ts';
import { reopenedActionRefusal } from '../../processes/step-skip.ts';
import { inTransaction } from './transaction.ts';
import { insertActionsTx } from './insert-actions.ts';
import { insertWebhookEventsTx } from './webhooks.ts';
import { boundNotifications, insertUserNotices } from './list-notifications.ts';
import type { WebhookEventRow } from '../../webhooks/rows.ts';
import type { NewCaseHistoryEntry } from '../../processes/case-history.ts';
import { insertCaseHistoryTx, updateWithHistory } from './case-history.ts';

const INSERT = `INSERT INTO cases (${CASE_COLUMNS.join(', ')}, launch_key, launch_hash)
VALUES (${CASE_COLUMNS.map((c, i) => `$${i + 1}${c === 'data' || c === 'definition' || c === 'steps' ? '::jsonb' : ''}`).join(', ')}, $${CASE_COLUMNS.length + 1}, $${CASE_COLUMNS.length + 2})`;
const EVENT = 'INSERT INTO case_outbox (case_id, event, created_at) VALUES ($1, $2::jsonb, $3)';
const UNIQUE_VIOLATION = '23505';
// An event of the action not yet applied to its case: the action changed (was retried) after its step
// failed. Read after this transaction's UPDATE locked the case, so after any retry's write that locked it
// first (write-actions.ts, LOCK_CASES) has committed.
const ACTION_EVENT_WAITING = "SELECT 1 FROM case_outbox WHERE case_id = $1 AND event->>'actionId' = $2 LIMIT 1";

export async function createCase(
  pool: Pool,
  row: CaseRow,
  opts: {
    launchKey?: string;
    launchHash?: string;
    startEvent?: CaseEvent;
    events?: WebhookEventRow[];
    history?: NewCaseHistoryEntry[];
  } = {},
): Promise<void> {
  try {
    await inTransaction(pool, async (client) => {
      await client.query(INSERT, [...caseValues(row, (b) => b), opts.launchKey ?? null, opts.launchHash ?? null]);
      if (opts.startEvent) await client.query(EVENT, [row.id, JSON.stringify(opts.startEvent), row.createdAt]);
      if (opts.events?.length) await insertWebhookEventsTx(client, opts.events);
      if (opts.history?.length) await insertCaseHistoryTx(client, row.id, opts.history);
    });
  } catch (e) {
    if (e instanceof DatabaseError && e.code === UNIQUE_VIOLATION)
      throw new ConflictError('A case with this Idempotency-Key already exists');
    throw e;
  }
}

export async function getCaseByLaunchKey(pool: Pool, key: string): Promise<{ row: CaseRow; launchHash: string | null } | undefined> {
  const r = (await pool.query('SELECT * FROM cases WHERE launch_key = $1', [key])).rows[0] as Record<string, unknown> | undefined;
  return r ? { row: caseFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
}

/** The WHERE clause of the cases a filter matches (placeholders from $1). */
function caseWhere(f: Omit<CaseFilter, 'limit'>): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown): void => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (f.status !== undefined) add((p) => `status = ${p}`, f.status);
  if (f.owner !== undefined) add((p) => `owner = ${p}`, f.owner);
  if (f.process !== undefined) add((p) => `process = ${p}`, f.process);
  if (f.escalated !== undefined) add((p) => `escalated = ${p}`, f.escalated);
  if (f.stopped !== undefined) where.push(`stopped_at IS ${f.stopped ? 'NOT ' : ''}NULL`);
  if (f.before !== undefined) add((p) => `id < ${p}`, f.before);
  if (f.queue !== undefined)
    add(
      (p) =>
        `(queue = ${p} OR EXISTS (SELECT 1 FROM actions a WHERE a.case_id = cases.id AND a.queue = ${p} AND a.state IN ('todo', 'in_progress')))`,
      f.queue,
    );
  if (f.q !== undefined) add((p) => `(title ILIKE ${p} ESCAPE '\\' OR data::text ILIKE ${p} ESCAPE '\\')`, containsPattern(f.q));
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

export async function listCases(pool: Pool, f: CaseFilter): Promise<{ cases: CaseRow[]; more: boolean }> {
  const { sql: where, params } = caseWhere(f);
  const maxBytes = f.maxBytes ?? Number.MAX_SAFE_INTEGER;
  params.push(f.limit, maxBytes);
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, octet_length(data::text) + coalesce(octet_length(steps::text), 0) AS page_row_bytes
              FROM cases ${where} ORDER BY id DESC LIMIT $${params.length - 1}) p) page
   WHERE page_bytes - page_row_bytes < $${params.length} ORDER BY id DESC`;
  const rows = (await pool.query(sql, params)).rows as Array<Record<string, unknown> & { page_bytes: string }>;
  return { cases: rows.map(caseFromRow), more: rows.length === f.limit || Number(rows.at(-1)?.page_bytes ?? 0) >= maxBytes };
}

/** How many cases match, counting no further than `upTo` (a saved view's count): never a scan of every case. */
export async function countCasesUpTo(
  pool: Pool,
  f: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>,
  upTo: number,
): Promise<number> {
  const { sql, params } = caseWhere(f);
  const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM cases ${sql} LIMIT $${params.length + 1}) x`, [
    ...params,
    upTo,
  ]);
  return Number(r.rows[0]!.n);
}

/** `keepNotifications`: the bound on the notifications of people its launches tell (notification-bound.ts). */
export async function updateCase(pool: Pool, w: CaseWrite, keepNotifications: number): Promise<boolean> {
  const sets = caseWriteSets(w, (b) => b);
  const params: unknown[] = sets.map(([, v]) => v);
  const assigns = sets.map(([c], i) => `${c} = $${i + 1}${c === 'steps' ? '::jsonb' : ''}`);
  if (w.dataPatch !== undefined) {
    // Shallow merge, as action outputs merge: a concurrent merge of other keys is kept.
    params.push(JSON.stringify(w.dataPatch));
    assigns.push(`data = data || $${params.length}::jsonb`);
  }
  params.push(w.id, w.expectedVersion);
  const update = `UPDATE cases SET ${assigns.join(', ')}, version = version + 1 WHERE id = $${params.length - 1} AND version = $${params.length}`;
  // With history: one statement that writes it only when the update applies (case-history.ts).
  const q = w.history?.length ? updateWithHistory(update, params, params.length - 1, w.history) : { sql: update, params };
  const applied = (r: QueryResult): boolean => (w.history?.length ? Number((r.rows[0] as { n: number }).n) : (r.rowCount ?? 0)) === 1;
  if (
    w.appliedEvent === undefined &&
    !w.launches?.length &&
    !w.followUps?.length &&
    !w.events?.length &&
    !w.skippedAction &&
    !w.notices?.length
  )
    return applied(await pool.query(q.sql, q.params));
  return inTransaction(pool, async (client) => {
    if (!applied(await client.query(q.sql, q.params))) return false;
    // Thrown, so the transaction is rolled back (its history too): the retry's write came first.
    const skipped = w.skippedAction;
    if (skipped && ((await client.query(ACTION_EVENT_WAITING, [w.id, skipped.actionId])).rowCount ?? 0) > 0) {
      throw new InvalidStateError(reopenedActionRefusal(skipped.step, skipped.actionId));
    }
    if (w.appliedEvent !== undefined) await client.query('DELETE FROM case_outbox WHERE seq = $1', [w.appliedEvent]);
    if (w.launches?.length) await insertActionsTx(client, w.launches, keepNotifications);
    for (const e of w.followUps ?? []) await client.query(EVENT, [w.id, JSON.stringify(e), w.at]);
    if (w.events?.length) await insertWebhookEventsTx(client, w.events);
    if (w.notices?.length) {
      await insertUserNotices(client, caseNotices(w));
      await boundNotifications(
        client,
        w.notices.map((n) => n.user),
        keepNotifications,
      );
    }
    return true;
  });
}

// The oldest event of each case, and only while no one holds it: a case's events apply one at a
// time, in order. SKIP LOCKED: a node claiming at the same moment takes other cases' events.
const CLAIM = (oneCase: boolean): string => `
WITH c AS (
  SELECT o.seq FROM case_outbox o
   WHERE (o.lease_until IS NULL OR o.lease_until <= $2)
     ${oneCase ? 'AND o.case_id = $4' : ''}
     AND NOT EXISTS (SELECT 1 FROM case_outbox p WHERE p.case_id = o.case_id AND p.seq < o.seq)
   ORDER BY o.seq LIMIT $3
   FOR UPDATE SKIP LOCKED)
UPDATE case_outbox u SET lease_until = $1 FROM c WHERE u.seq = c.seq
RETURNING u.seq, u.case_id, u.event::text AS event, u.created_at`;

export async function claimCaseEvents(pool: Pool, p: CaseEventClaim): Promise<CaseOutboxRow[]> {
  const params: unknown[] = [p.leaseUntil, p.now, p.limit];
  if (p.caseId !== undefined) params.push(p.caseId);
  const rows = (await pool.query(CLAIM(p.caseId !== undefined), params)).rows as Array<Record<string, unknown>>;
  return rows
    .map((r) => ({
      seq: Number(r.seq),
      caseId: r.case_id as string,
      event: JSON.parse(r.event as string) as CaseEvent,
      createdAt: Number(r.created_at),
    }))
    .sort((a, b) => a.seq - b.seq);
}

export async function deleteCaseEvent(pool: Pool, seq: number): Promise<void> {
  await pool.query('DELETE FROM case_outbox WHERE seq = $1', [seq]);
}

// A claim sets lease_until to a time after every earlier lease had ended: the holder's own value names its lease.
export async function releaseCaseEvent(pool: Pool, seq: number, leaseUntil: number, until: number): Promise<boolean> {
  const r = await pool.query('UPDATE case_outbox SET lease_until = $3 WHERE seq = $1 AND lease_until = $2', [seq, leaseUntil, until]);
  return (r.rowCount ?? 0) === 1;
}
