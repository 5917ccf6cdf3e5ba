// Schedules in SQLite. A tick is claimed by inserting (schedule_id, tick_at) under its primary key in
// the same immediate transaction that advances next_run_at: however many processes share the file,
// one claims each tick.

import type Database from 'better-sqlite3';
import type { ScheduleRow, ScheduleTick, TickPlan } from '../bulk-schedule-types.ts';
import { scheduleFromRow, tickFromRow } from '../bulk-schedule-rows.ts';
import { ConflictError } from '../../errors.ts';
import type { NewestPage } from '../types.ts';
import { prepared } from './statements.ts';

type Row = Record<string, unknown>;
const COLUMNS = 'id, name, cron, timezone, launch, paused, next_run_at, last_tick_at, created_by, created_at, updated_at, version';

function values(s: ScheduleRow): unknown[] {
  return [
    s.id,
    s.name,
    s.cron,
    s.timezone,
    JSON.stringify(s.launch),
    s.paused ? 1 : 0,
    s.nextRunAt,
    s.lastTickAt,
    s.createdBy,
    s.createdAt,
    s.updatedAt,
    s.version,
  ];
}

const nameTaken = (e: unknown, name: string): unknown =>
  (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'
    ? new ConflictError(`A schedule named ${JSON.stringify(name)} already exists`)
    : e;

export function insertSchedule(db: Database.Database, s: ScheduleRow): void {
  try {
    prepared(db, `INSERT INTO schedules (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...values(s));
  } catch (e) {
    throw nameTaken(e, s.name);
  }
}

export function getSchedule(db: Database.Database, idOrName: string): ScheduleRow | undefined {
  const r = prepared(db, 'SELECT * FROM schedules WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(idOrName, idOrName, idOrName);
  return r ? scheduleFromRow(r as Row) : undefined;
}

export function listSchedules(db: Database.Database): ScheduleRow[] {
  return (prepared(db, 'SELECT * FROM schedules ORDER BY name').all() as Row[]).map(scheduleFromRow);
}

/** A page newest first, cut at maxBytes of launches (a launch's input may hold 256 KB). */
export function listSchedulesPage(db: Database.Database, p: NewestPage): { rows: ScheduleRow[]; more: boolean } {
  const sql = `SELECT * FROM (
    SELECT p.*, sum(p.page_row_bytes) OVER (ORDER BY p.id DESC ROWS UNBOUNDED PRECEDING) AS page_bytes
      FROM (SELECT *, length(CAST(launch AS BLOB)) AS page_row_bytes
              FROM schedules ${p.before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?) p)
   WHERE page_bytes - page_row_bytes < ? ORDER BY id DESC`;
  const params = [...(p.before !== undefined ? [p.before] : []), p.limit, p.maxBytes];
  const rows = prepared(db, sql).all(...params) as Array<Row & { page_bytes: number }>;
  return { rows: rows.map(scheduleFromRow), more: rows.length === p.limit || (rows.at(-1)?.page_bytes ?? 0) >= p.maxBytes };
}

export function updateSchedule(db: Database.Database, s: ScheduleRow, expectedVersion: number): boolean {
  try {
    const r = prepared(
      db,
      `UPDATE schedules SET name = ?, cron = ?, timezone = ?, launch = ?, paused = ?, next_run_at = ?, last_tick_at = ?,
              updated_at = ?, version = ? WHERE id = ? AND version = ?`,
    ).run(
      s.name,
      s.cron,
      s.timezone,
      JSON.stringify(s.launch),
      s.paused ? 1 : 0,
      s.nextRunAt,
      s.lastTickAt,
      s.updatedAt,
      s.version,
      s.id,
      expectedVersion,
    );
    return r.changes === 1;
  } catch (e) {
    throw nameTaken(e, s.name);
  }
}

export function deleteSchedule(db: Database.Database, id: string, expectedVersion?: number): boolean {
  return (
    prepared(db, 'DELETE FROM schedules WHERE id = ? AND (? IS NULL OR version = ?)').run(
      id,
      expectedVersion ?? null,
      expectedVersion ?? null,
    ).changes === 1
  );
}

export function claimScheduleTicks(
  db: Database.Database,
  p: { now: number; owner: string; limit: number },
  plan: (s: ScheduleRow) => TickPlan,
): ScheduleTick[] {
  return db
    .transaction(() => {
      const due = (
        prepared(db, 'SELECT * FROM schedules WHERE paused = 0 AND next_run_at <= ? ORDER BY next_run_at LIMIT ?').all(
          p.now,
          p.limit,
        ) as Row[]
      ).map(scheduleFromRow);
      const claimed: ScheduleTick[] = [];
      for (const s of due) {
        const { tickAt, nextRunAt } = plan(s);
        if (tickAt !== null) {
          const r = prepared(
            db,
            'INSERT INTO schedule_ticks (schedule_id, tick_at, claimed_by, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          ).run(s.id, tickAt, p.owner, p.now);
          if (r.changes === 1)
            claimed.push({ scheduleId: s.id, tickAt, claimedBy: p.owner, claimedAt: p.now, launchedId: null, error: null });
        }
        prepared(db, 'UPDATE schedules SET next_run_at = ?, last_tick_at = coalesce(?, last_tick_at) WHERE id = ?').run(
          nextRunAt,
          tickAt,
          s.id,
        );
      }
      return claimed;
    })
    .immediate();
}

/** Ticks claimed at or before `claimedBefore` that have neither a launch nor an error: their node may have died. */
export function listOpenTicks(db: Database.Database, claimedBefore: number, limit: number): ScheduleTick[] {
  const rows = prepared(
    db,
    'SELECT * FROM schedule_ticks WHERE launched_id IS NULL AND error IS NULL AND claimed_at <= ? ORDER BY claimed_at LIMIT ?',
  ).all(claimedBefore, limit);
  return (rows as Row[]).map(tickFromRow);
}

export function recordTick(
  db: Database.Database,
  scheduleId: string,
  tickAt: number,
  outcome: { launchedId: string } | { error: string },
): void {
  prepared(db, 'UPDATE schedule_ticks SET launched_id = ?, error = ? WHERE schedule_id = ? AND tick_at = ?').run(
    'launchedId' in outcome ? outcome.launchedId : null,
    'error' in outcome ? outcome.error : null,
    scheduleId,
    tickAt,
  );
}

export function listScheduleTicks(db: Database.Database, scheduleId: string, limit: number): ScheduleTick[] {
  const rows = prepared(db, 'SELECT * FROM schedule_ticks WHERE schedule_id = ? ORDER BY tick_at DESC LIMIT ?').all(scheduleId, limit);
  return (rows as Row[]).map(tickFromRow);
}

export function nextScheduleAt(db: Database.Database): number | null {
  return (prepared(db, 'SELECT min(next_run_at) AS at FROM schedules WHERE paused = 0').get() as { at: number | null }).at;
}
