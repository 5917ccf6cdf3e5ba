// Schedules in PostgreSQL. A tick is claimed by inserting (schedule_id, tick_at) under its primary key
// in the same transaction that advances next_run_at; due schedules are locked FOR UPDATE SKIP LOCKED,
// so nodes claiming together split the work and each tick is claimed once.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { ScheduleRow, ScheduleTick, TickPlan } from '../bulk-schedule-types.ts';
import { scheduleFromRow, tickFromRow } from '../bulk-schedule-rows.ts';
import { ConflictError } from '../../errors.ts';
import type { NewestPage } from '../types.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;
const COLUMNS = 'id, name, cron, timezone, launch, paused, next_run_at, last_tick_at, created_by, created_at, updated_at, version';

const nameTaken = (e: unknown, name: string): unknown =>
  e instanceof DatabaseError && e.code === '23505' && e.constraint === 'schedules_name_key'
    ? new ConflictError(`A schedule named ${JSON.stringify(name)} already exists`)
    : e;

export async function insertSchedule(pool: Pool | PoolClient, s: ScheduleRow): Promise<void> {
  try {
    await pool.query(`INSERT INTO schedules (${COLUMNS}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12)`, [
      s.id,
      s.name,
      s.cron,
      s.timezone,
      JSON.stringify(s.launch),
      s.paused,
      s.nextRunAt,
      s.lastTickAt,
      s.createdBy,
      s.createdAt,
      s.updatedAt,
      s.version,
    ]);
  } catch (e) {
    throw nameTaken(e, s.name);
  }
}

export async function getSchedule(pool: Pool, idOrName: string): Promise<ScheduleRow | undefined> {
  const r = (await pool.query('SELECT * FROM schedules WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1', [idOrName])).rows[0];
  return r ? scheduleFromRow(r as Row) : undefined;
}

export async function listSchedules(pool: Pool): Promise<ScheduleRow[]> {
  return ((await pool.query('SELECT * FROM schedules ORDER BY name')).rows as Row[]).map(scheduleFromRow);
}

/** A page newest first, cut at maxBytes of launches (a launch's input may hold 256 KB). */
export async function listSchedulesPage(pool: Pool, p: NewestPage): Promise<{ rows: ScheduleRow[]; more: boolean }> {
  const params: unknown[] = p.before !== undefined ? [p.before] : [];
  params.push(p.limit, p.maxBytes);
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, octet_length(launch::text) AS page_row_bytes
              FROM schedules ${p.before !== undefined ? 'WHERE id < $1' : ''} ORDER BY id DESC LIMIT $${params.length - 1}) p) page
   WHERE page_bytes - page_row_bytes < $${params.length} ORDER BY id DESC`;
  const rows = (await pool.query(sql, params)).rows as Array<Row & { page_bytes: string }>;
  return { rows: rows.map(scheduleFromRow), more: rows.length === p.limit || Number(rows.at(-1)?.page_bytes ?? 0) >= p.maxBytes };
}

export async function updateSchedule(pool: Pool | PoolClient, s: ScheduleRow, expectedVersion: number): Promise<boolean> {
  try {
    const r = await pool.query(
      `UPDATE schedules SET name = $1, cron = $2, timezone = $3, launch = $4::jsonb, paused = $5, next_run_at = $6, last_tick_at = $7,
              updated_at = $8, version = $9 WHERE id = $10 AND version = $11`,
      [
        s.name,
        s.cron,
        s.timezone,
        JSON.stringify(s.launch),
        s.paused,
        s.nextRunAt,
        s.lastTickAt,
        s.updatedAt,
        s.version,
        s.id,
        expectedVersion,
      ],
    );
    return r.rowCount === 1;
  } catch (e) {
    throw nameTaken(e, s.name);
  }
}

export async function deleteSchedule(pool: Pool, id: string, expectedVersion?: number): Promise<boolean> {
  return (
    (await pool.query('DELETE FROM schedules WHERE id = $1 AND ($2::bigint IS NULL OR version = $2)', [id, expectedVersion ?? null]))
      .rowCount === 1
  );
}

export async function claimScheduleTicks(
  pool: Pool,
  p: { now: number; owner: string; limit: number },
  plan: (s: ScheduleRow) => TickPlan,
): Promise<ScheduleTick[]> {
  return inTransaction(pool, async (c) => {
    const due = (
      await c.query('SELECT * FROM schedules WHERE NOT paused AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED', [
        p.now,
        p.limit,
      ])
    ).rows as Row[];
    const claimed: ScheduleTick[] = [];
    for (const s of due.map(scheduleFromRow)) {
      const { tickAt, nextRunAt } = plan(s);
      if (tickAt !== null) {
        const r = await c.query(
          'INSERT INTO schedule_ticks (schedule_id, tick_at, claimed_by, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [s.id, tickAt, p.owner, p.now],
        );
        if (r.rowCount === 1)
          claimed.push({ scheduleId: s.id, tickAt, claimedBy: p.owner, claimedAt: p.now, launchedId: null, error: null });
      }
      await c.query('UPDATE schedules SET next_run_at = $1, last_tick_at = coalesce($2, last_tick_at) WHERE id = $3', [
        nextRunAt,
        tickAt,
        s.id,
      ]);
    }
    return claimed;
  });
}

/** Ticks claimed at or before `claimedBefore` that have neither a launch nor an error: their node may have died. */
export async function listOpenTicks(pool: Pool, claimedBefore: number, limit: number): Promise<ScheduleTick[]> {
  const r = await pool.query(
    'SELECT * FROM schedule_ticks WHERE launched_id IS NULL AND error IS NULL AND claimed_at <= $1 ORDER BY claimed_at LIMIT $2',
    [claimedBefore, limit],
  );
  return (r.rows as Row[]).map(tickFromRow);
}

export async function recordTick(
  pool: Pool,
  scheduleId: string,
  tickAt: number,
  outcome: { launchedId: string } | { error: string },
): Promise<void> {
  await pool.query('UPDATE schedule_ticks SET launched_id = $1, error = $2 WHERE schedule_id = $3 AND tick_at = $4', [
    'launchedId' in outcome ? outcome.launchedId : null,
    'error' in outcome ? outcome.error : null,
    scheduleId,
    tickAt,
  ]);
}

export async function listScheduleTicks(pool: Pool, scheduleId: string, limit: number): Promise<ScheduleTick[]> {
  const r = await pool.query('SELECT * FROM schedule_ticks WHERE schedule_id = $1 ORDER BY tick_at DESC LIMIT $2', [scheduleId, limit]);
  return (r.rows as Row[]).map(tickFromRow);
}

export async function nextScheduleAt(pool: Pool): Promise<number | null> {
  const r = await pool.query<{ at: string | null }>('SELECT min(next_run_at) AS at FROM schedules WHERE NOT paused');
  return r.rows[0]!.at === null ? null : Number(r.rows[0]!.at);
}
