// The embedded store: one SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous, so every
// method is one synchronous transaction wrapped in a resolved promise to fit the async Store interface.

import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { loadMigrations } from '../migrations.ts';
import type {
  ActionFilter,
  ActionWrite,
  ApiKeyRow,
  CaseRow,
  ClaimParams,
  ConcurrencyRequest,
  ConfigKind,
  ConfigRow,
  NewAction,
  NotificationRow,
  RatePermitGrant,
  RatePermitRequest,
  Store,
  TimelineRow,
} from '../types.ts';
import { actionFromRow } from '../rows.ts';
import { claimDue } from './claim-due.ts';
import { prepared } from './statements.ts';
import { insertActions } from './insert-actions.ts';
import { writeActions } from './write-actions.ts';
import { actionWhere } from './list-actions.ts';
import { acquireConcurrency, acquireRatePermits, releaseConcurrency } from './limits.ts';
import * as apiKeys from './api-keys.ts';
import * as bulk from './bulk-launches.ts';
import * as replays from './bulk-replays.ts';
import * as schedules from './schedules.ts';
import type {
  BulkLaunchRow,
  BulkLease,
  BulkRowRecord,
  BulkRowResult,
  ReplayFilter,
  ScheduleRow,
  ScheduleTick,
  TickPlan,
} from '../bulk-schedule-types.ts';
import { ConflictError, SetupError } from '../../errors.ts';
import { restrictToOwner } from '../../config/files.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectorStatus } from '../../connectors/circuit.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const TABLE: Record<ConfigKind, string> = { connector: 'connectors', action_type: 'action_types' };

export interface SqliteStoreOptions {
  /** Path of the database file. */
  file: string;
  /** `full` fsyncs every commit (survives power loss); `normal` survives process crashes only. @default "full" */
  synchronous?: 'full' | 'normal';
  /** Told when an existing file or folder had its permissions tightened. */
  logger?: Pick<Logger, 'warn'>;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly fullSync: boolean;

  constructor(opts: SqliteStoreOptions) {
    const dir = dirname(opts.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Owner-only from the first byte: SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(opts.file, 'a', 0o600));
    const notice = (message: string): void => void opts.logger?.warn(message);
    for (const path of [dir, opts.file, `${opts.file}-wal`, `${opts.file}-shm`]) restrictToOwner(path, notice);
    this.db = new Database(opts.file);
    try {
      // Several engine processes may share the file; wait for the writer lock rather than fail.
      this.db.pragma('busy_timeout = 10000');
      this.db.pragma('journal_mode = WAL');
      this.fullSync = opts.synchronous !== 'normal';
      this.db.pragma(`synchronous = ${this.fullSync ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('foreign_keys = ON');
      // Every page and index, without the cross-checks of integrity_check: about 1 s on a 1.2 GB store.
      const found = (this.db.pragma('quick_check(1)') as Array<{ quick_check: string }>)[0]?.quick_check;
      // The first problem, on one line: enough to say where, short enough to read.
      if (found !== 'ok')
        throw new Error(
          String(found)
            .replace(/\*\*\* in database \w+ \*\*\*/g, '')
            .replace(/\s+/g, ' ')
            .trim(),
        );
    } catch (e) {
      this.db.close();
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && !/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw e;
      throw new SetupError(
        `the store ${opts.file} is damaged (${(e as Error).message}); restore it from a backup, or move it aside to start with an empty store`,
      );
    }
  }

  /** Proves the file still answers, for /health: one read of the migrations table. */
  async ping(): Promise<void> {
    this.sql('SELECT max(version) FROM callout_migrations').get();
  }

  private sql(text: string): Database.Statement {
    return prepared(this.db, text);
  }

  async migrate(): Promise<void> {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS callout_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const done = new Set((db.prepare('SELECT version FROM callout_migrations').all() as { version: number }[]).map((r) => r.version));
    for (const m of loadMigrations(MIGRATIONS_DIR)) {
      if (done.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO callout_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate();
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async ensureSetting(key: string, value: string): Promise<string> {
    this.sql('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    return (this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
  }

  async insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void> {
    try {
      this.db
        .prepare(`INSERT INTO ${TABLE[kind]} (id, name, doc, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(row.id, row.name, JSON.stringify(row.doc), row.revision, row.createdAt, row.updatedAt);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new ConflictError(`A ${kind.replace('_', ' ')} named ${JSON.stringify(row.name)} already exists`);
      throw e;
    }
  }

  async updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean> {
    try {
      const r = this.db
        .prepare(`UPDATE ${TABLE[kind]} SET name = ?, doc = ?, revision = ?, updated_at = ? WHERE id = ? AND revision = ?`)
        .run(row.name, JSON.stringify(row.doc), row.revision, row.updatedAt, row.id, expectedRevision);
      return r.changes === 1;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new ConflictError(`A ${kind.replace('_', ' ')} named ${JSON.stringify(row.name)} already exists`);
      throw e;
    }
  }

  async getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
    const r = this.db
      .prepare(`SELECT * FROM ${TABLE[kind]} WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1`)
      .get(idOrName, idOrName, idOrName);
    return r ? configFromRow(r as Record<string, unknown>) : undefined;
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRow[]> {
    return (this.sql(`SELECT * FROM ${TABLE[kind]} ORDER BY name`).all() as Record<string, unknown>[]).map(configFromRow);
  }

  async insertActions(items: NewAction[]): Promise<void> {
    insertActions(this.db, items);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    const r = this.sql('SELECT * FROM actions WHERE id = ?').get(id);
    return r ? actionFromRow(r as Record<string, unknown>) : undefined;
  }

  async getActionsByIds(ids: string[]): Promise<ActionRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.sql(`SELECT * FROM actions WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids));
    return (rows as Record<string, unknown>[]).map(actionFromRow);
  }

  async getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
    const r = this.sql('SELECT * FROM actions WHERE launch_key = ?').get(key) as Record<string, unknown> | undefined;
    return r ? { action: actionFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
  }

  async findActionsByExternalReference(actionTypeIds: string[], ref: string): Promise<ActionRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM actions WHERE external_reference = ? AND action_type_id IN (SELECT value FROM json_each(?)) ORDER BY id DESC')
      .all(ref, JSON.stringify(actionTypeIds));
    return (rows as Record<string, unknown>[]).map(actionFromRow);
  }

  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    const { sql, params } = actionWhere(filter);
    const rows = this.sql(`SELECT * FROM actions ${sql} ORDER BY id DESC LIMIT ?`).all(...params, filter.limit);
    return (rows as Record<string, unknown>[]).map(actionFromRow);
  }

  async countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
    const { sql, params } = actionWhere(filter);
    return (this.sql(`SELECT count(*) AS n FROM actions ${sql}`).get(...params) as { n: number }).n;
  }

  async listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]> {
    const rows = this.sql(`SELECT * FROM actions WHERE action_type_id = ? AND phase = 'retry_scheduled'`).all(actionTypeId);
    return (rows as Record<string, unknown>[]).map(actionFromRow);
  }

  async claimDue(p: ClaimParams): Promise<ActionRecord[]> {
    return claimDue(this.db, p, this.fullSync);
  }

  async nextDueAt(): Promise<number | null> {
    const r = this.sql('SELECT min(due_at) AS due FROM actions WHERE due_at IS NOT NULL').get() as { due: number | null };
    return r.due;
  }

  async writeActions(writes: ActionWrite[]): Promise<boolean[]> {
    return writeActions(this.db, writes);
  }

  async listTimeline(actionId: string): Promise<TimelineRow[]> {
    const rows = this.sql('SELECT * FROM timeline WHERE action_id = ? ORDER BY seq').all(actionId) as Record<string, unknown>[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      actionId: r.action_id as string,
      at: Number(r.at),
      actor: r.actor as TimelineRow['actor'],
      kind: r.kind as TimelineRow['kind'],
      message: r.message as string,
      ...(r.data ? { data: JSON.parse(r.data as string) as Record<string, unknown> } : {}),
    }));
  }

  async acquireRatePermits(r: RatePermitRequest): Promise<RatePermitGrant> {
    return acquireRatePermits(this.db, r);
  }

  async acquireConcurrency(r: ConcurrencyRequest): Promise<string[]> {
    return acquireConcurrency(this.db, r);
  }

  async releaseConcurrency(connectorId: string, actionIds: string[]): Promise<void> {
    releaseConcurrency(this.db, connectorId, actionIds);
  }

  async listConnectorStatus(): Promise<ConnectorStatus[]> {
    return (this.sql('SELECT doc FROM connector_status').all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as ConnectorStatus);
  }

  async updateConnectorStatus(
    connectorId: string,
    update: (cur: ConnectorStatus | undefined) => ConnectorStatus,
  ): Promise<ConnectorStatus> {
    return this.db
      .transaction(() => {
        const row = this.sql('SELECT doc FROM connector_status WHERE connector_id = ?').get(connectorId) as { doc: string } | undefined;
        const next = update(row ? (JSON.parse(row.doc) as ConnectorStatus) : undefined);
        this.db
          .prepare(
            'INSERT INTO connector_status (connector_id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (connector_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at',
          )
          .run(connectorId, JSON.stringify(next), next.updatedAt);
        return next;
      })
      .immediate();
  }

  async insertCase(row: CaseRow): Promise<void> {
    this.db
      .prepare('INSERT INTO cases (id, data, owner, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(row.id, JSON.stringify(row.data), row.owner, row.createdAt, row.updatedAt);
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    const r = this.sql('SELECT * FROM cases WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      id: r.id as string,
      data: JSON.parse(r.data as string) as Record<string, unknown>,
      owner: (r.owner as string | null) ?? null,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }

  async listNotifications(user: string): Promise<NotificationRow[]> {
    const rows = this.sql('SELECT * FROM notifications WHERE user_name = ? ORDER BY id DESC LIMIT 200').all(user) as Record<
      string,
      unknown
    >[];
    return rows.map((r) => ({
      id: Number(r.id),
      user: r.user_name as string,
      kind: r.kind as string,
      message: r.message as string,
      actionId: (r.action_id as string | null) ?? null,
      caseId: (r.case_id as string | null) ?? null,
      at: Number(r.at),
    }));
  }

  async insertApiKey(row: ApiKeyRow): Promise<void> {
    apiKeys.insertApiKey(this.db, row);
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRow | undefined> {
    return apiKeys.findApiKey(this.db, keyHash);
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    return apiKeys.listApiKeys(this.db);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined> {
    return apiKeys.revokeApiKey(this.db, id, at);
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    apiKeys.touchApiKey(this.db, id, at);
  }

  // ---- bulk launches and schedules

  async insertBulkLaunch(row: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }> {
    return bulk.insertBulkLaunch(this.db, row);
  }

  async getBulkLaunch(id: string): Promise<BulkLaunchRow | undefined> {
    return bulk.getBulkLaunch(this.db, id);
  }

  async insertBulkRows(bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean> {
    return bulk.insertBulkRows(this.db, bulkId, rows, lease);
  }

  async finishBulkParse(bulkId: string, lease: BulkLease): Promise<boolean> {
    return bulk.finishBulkParse(this.db, bulkId, lease);
  }

  async listBulkRows(bulkId: string, afterRow: number, limit: number, status?: BulkRowRecord['status']): Promise<BulkRowRecord[]> {
    return bulk.listBulkRows(this.db, bulkId, afterRow, limit, status);
  }

  async recordBulkResults(bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean> {
    return bulk.recordBulkResults(this.db, bulkId, results, lease);
  }

  async finishBulkLaunch(bulkId: string, status: 'done' | 'failed', error: string | null, lease: BulkLease): Promise<boolean> {
    return bulk.finishBulkLaunch(this.db, bulkId, status, error, lease);
  }

  async claimStaleBulkLaunches(lease: BulkLease, limit: number): Promise<BulkLaunchRow[]> {
    return bulk.claimStaleBulkLaunches(this.db, lease, limit);
  }

  async actionIdsByLaunchKeys(keys: string[]): Promise<Map<string, string>> {
    return bulk.actionIdsByLaunchKeys(this.db, keys);
  }

  async countReplayActions(filter: ReplayFilter): Promise<number> {
    return replays.countReplayActions(this.db, filter);
  }

  async listReplayActions(filter: ReplayFilter, limit: number): Promise<ActionRecord[]> {
    return replays.listReplayActions(this.db, filter, limit);
  }

  async insertSchedule(row: ScheduleRow): Promise<void> {
    return schedules.insertSchedule(this.db, row);
  }

  async getSchedule(idOrName: string): Promise<ScheduleRow | undefined> {
    return schedules.getSchedule(this.db, idOrName);
  }

  async listSchedules(): Promise<ScheduleRow[]> {
    return schedules.listSchedules(this.db);
  }

  async updateSchedule(row: ScheduleRow, expectedVersion: number): Promise<boolean> {
    return schedules.updateSchedule(this.db, row, expectedVersion);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return schedules.deleteSchedule(this.db, id);
  }

  async claimScheduleTicks(p: { now: number; owner: string; limit: number }, plan: (s: ScheduleRow) => TickPlan): Promise<ScheduleTick[]> {
    return schedules.claimScheduleTicks(this.db, p, plan);
  }

  async listOpenTicks(claimedBefore: number, limit: number): Promise<ScheduleTick[]> {
    return schedules.listOpenTicks(this.db, claimedBefore, limit);
  }

  async recordTick(scheduleId: string, tickAt: number, outcome: { launchedId: string } | { error: string }): Promise<void> {
    return schedules.recordTick(this.db, scheduleId, tickAt, outcome);
  }

  async listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]> {
    return schedules.listScheduleTicks(this.db, scheduleId, limit);
  }

  async nextScheduleAt(): Promise<number | null> {
    return schedules.nextScheduleAt(this.db);
  }
}

function configFromRow(r: Record<string, unknown>): ConfigRow {
  return {
    id: r.id as string,
    name: r.name as string,
    doc: JSON.parse(r.doc as string) as Record<string, unknown>,
    revision: Number(r.revision),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
