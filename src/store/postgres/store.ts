// The shared store: PostgreSQL through a pg.Pool, for any number of engine nodes. Every method is one
// statement or one transaction; the hot paths (claim, insert, write) send a whole batch at once.

import { DatabaseError, Pool, TypeOverrides, types, type ClientConfig } from 'pg';
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
import { ACTION_COLUMNS, actionFromRow } from '../rows.ts';
import { claimDue } from './claim-due.ts';
import { insertActions } from './insert-actions.ts';
import { writeActions } from './write-actions.ts';
import { actionWhere } from './list-actions.ts';
import { acquireConcurrency, acquireRatePermits, lockConnector, releaseConcurrency } from './limits.ts';
import { inTransaction } from './transaction.ts';
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
import { WorkListener } from './listen.ts';
import { ConflictError } from '../../errors.ts';
import type { ConnectorStatus } from '../../connectors/circuit.ts';
import { createLogger, type Logger } from '../../logger.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const TABLE: Record<ConfigKind, string> = { connector: 'connectors', action_type: 'action_types' };
const UNIQUE_VIOLATION = '23505';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  /** A libpq URL, e.g. `postgres://user:password@host:5432/callout`. */
  connectionString: string;
  /** The schema holding Callout's tables, created by migrate() if missing (lower case, digits, _). @default the server's search_path (usually "public") */
  schema?: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Where dropped connections are reported. @default a pino logger at CALLOUT_LOG_LEVEL */
  logger?: Logger;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: Pool;
  /** Claims only: a lease need not be durable (see claim-due.ts), so its commit does not wait for the WAL flush. */
  private readonly claimPool: Pool;
  private readonly config: ClientConfig;
  private readonly schema: string | undefined;
  private readonly logger: Logger;
  private readonly listeners = new Set<WorkListener>();
  private closed = false;

  constructor(opts: PostgresStoreOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema))
      throw new Error(`schema must be lower case letters, digits and _ (at most 63), not ${JSON.stringify(opts.schema)}`);
    this.schema = opts.schema;
    this.logger = opts.logger ?? createLogger();
    // jsonb comes back as its text, as SQLite's JSON does, so rows.ts parses both alike (a jsonb string
    // value parsed by pg would be indistinguishable from JSON text).
    const parsers = new TypeOverrides();
    parsers.setTypeParser(types.builtins.JSONB, (v: string) => v);
    parsers.setTypeParser(types.builtins.JSON, (v: string) => v);
    this.config = {
      connectionString: opts.connectionString,
      // Named after the schema so an operator (or a test) can tell installations apart in pg_stat_activity.
      application_name: `callout${opts.schema ? `:${opts.schema}` : ''}`.slice(0, 63),
      ...(opts.schema !== undefined ? { options: `-c search_path=${opts.schema}` } : {}),
      types: parsers,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    };
    this.pool = new Pool({ ...this.config, max: opts.poolSize ?? 10 });
    this.claimPool = new Pool({
      ...this.config,
      options: [this.config.options, '-c synchronous_commit=off'].filter(Boolean).join(' '),
      max: 2,
    });
    // An idle connection that dies (a PostgreSQL restart, a failover) must not crash the process: the
    // pool drops it and opens a new one; queries in flight fail to their callers, who retry.
    // pg hangs the whole client off the error: log what matters, not the connection's internals.
    for (const pool of [this.pool, this.claimPool])
      pool.on('error', (err) =>
        this.logger.warn(
          { code: (err as { code?: string }).code, message: err.message },
          'an idle PostgreSQL connection failed; the pool replaces it',
        ),
      );
  }

  async migrate(): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      // Nodes starting together: the first applies the migrations, the others wait here, then find them done.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`callout_migrations:${this.schema ?? ''}`]);
      if (this.schema !== undefined) await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(
        'CREATE TABLE IF NOT EXISTS callout_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM callout_migrations')).rows.map((r) => r.version));
      for (const m of loadMigrations(MIGRATIONS_DIR)) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO callout_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT max(version) FROM callout_migrations');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = await Promise.allSettled([...this.listeners].map((l) => l.stop()));
    this.listeners.clear();
    await Promise.all([this.pool.end(), this.claimPool.end()]);
    for (const s of stopped)
      if (s.status === 'rejected') this.logger.warn({ err: s.reason as unknown }, 'closing a LISTEN connection failed');
  }

  /** Calls `onWork` when any node commits work that is due now; the connection comes back by itself. */
  async listen(onWork: () => void): Promise<() => Promise<void>> {
    const name = `callout_listen${this.schema ? `:${this.schema}` : ''}`.slice(0, 63);
    const listener = new WorkListener({ ...this.config, application_name: name }, onWork, this.logger);
    await listener.start();
    this.listeners.add(listener);
    return async () => {
      if (this.listeners.delete(listener)) await listener.stop();
    };
  }

  async ensureSetting(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]!.value;
  }

  async insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO ${TABLE[kind]} (id, name, doc, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [row.id, row.name, JSON.stringify(row.doc), row.revision, row.createdAt, row.updatedAt],
      );
    } catch (e) {
      throw configConflict(e, kind, row);
    }
  }

  async updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean> {
    try {
      const r = await this.pool.query(
        `UPDATE ${TABLE[kind]} SET name = $1, doc = $2, revision = $3, updated_at = $4 WHERE id = $5 AND revision = $6`,
        [row.name, JSON.stringify(row.doc), row.revision, row.updatedAt, row.id, expectedRevision],
      );
      return r.rowCount === 1;
    } catch (e) {
      throw configConflict(e, kind, row);
    }
  }

  async getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
    const r = await this.pool.query(`SELECT * FROM ${TABLE[kind]} WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC LIMIT 1`, [idOrName]);
    return r.rows[0] ? configFromRow(r.rows[0]) : undefined;
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRow[]> {
    return (await this.pool.query(`SELECT * FROM ${TABLE[kind]} ORDER BY name`)).rows.map(configFromRow);
  }

  async insertActions(items: NewAction[]): Promise<void> {
    await insertActions(this.pool, items);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    const r = await this.pool.query({
      name: 'callout_get_action',
      text: `SELECT ${ACTION_COLUMNS.join(', ')} FROM actions WHERE id = $1`,
      values: [id],
    });
    return r.rows[0] ? actionFromRow(r.rows[0]) : undefined;
  }

  async getActionsByIds(ids: string[]): Promise<ActionRecord[]> {
    if (ids.length === 0) return [];
    return (await this.pool.query('SELECT * FROM actions WHERE id = ANY($1::text[])', [ids])).rows.map(actionFromRow);
  }

  async getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
    const r = (await this.pool.query('SELECT * FROM actions WHERE launch_key = $1', [key])).rows[0] as Record<string, unknown> | undefined;
    return r ? { action: actionFromRow(r), launchHash: (r.launch_hash as string | null) ?? null } : undefined;
  }

  async findActionsByExternalReference(actionTypeIds: string[], ref: string): Promise<ActionRecord[]> {
    const r = await this.pool.query(
      'SELECT * FROM actions WHERE external_reference = $1 AND action_type_id = ANY($2::text[]) ORDER BY id DESC',
      [ref, actionTypeIds],
    );
    return r.rows.map(actionFromRow);
  }

  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    const { sql, params } = actionWhere(filter);
    const r = await this.pool.query(`SELECT * FROM actions ${sql} ORDER BY id DESC LIMIT $${params.length + 1}`, [...params, filter.limit]);
    return r.rows.map(actionFromRow);
  }

  async countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
    const { sql, params } = actionWhere(filter);
    return Number((await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM actions ${sql}`, params)).rows[0]!.n);
  }

  async listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]> {
    const r = await this.pool.query(`SELECT * FROM actions WHERE action_type_id = $1 AND phase = 'retry_scheduled'`, [actionTypeId]);
    return r.rows.map(actionFromRow);
  }

  async claimDue(p: ClaimParams): Promise<ActionRecord[]> {
    return claimDue(this.claimPool, p);
  }

  async nextDueAt(): Promise<number | null> {
    const r = await this.pool.query<{ due: string | null }>({
      name: 'callout_next_due_at',
      text: 'SELECT min(due_at) AS due FROM actions WHERE due_at IS NOT NULL',
    });
    const due = r.rows[0]!.due;
    return due === null ? null : Number(due);
  }

  async writeActions(writes: ActionWrite[]): Promise<boolean[]> {
    return writeActions(this.pool, writes);
  }

  async listTimeline(actionId: string): Promise<TimelineRow[]> {
    const r = await this.pool.query('SELECT * FROM timeline WHERE action_id = $1 ORDER BY seq', [actionId]);
    return (r.rows as Record<string, unknown>[]).map((r) => ({
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
    return acquireRatePermits(this.pool, r);
  }

  async acquireConcurrency(r: ConcurrencyRequest): Promise<string[]> {
    return acquireConcurrency(this.pool, r);
  }

  async releaseConcurrency(connectorId: string, actionIds: string[]): Promise<void> {
    await releaseConcurrency(this.pool, connectorId, actionIds);
  }

  async listConnectorStatus(): Promise<ConnectorStatus[]> {
    return (await this.pool.query<{ doc: string }>('SELECT doc FROM connector_status')).rows.map(
      (r) => JSON.parse(r.doc) as ConnectorStatus,
    );
  }

  async updateConnectorStatus(
    connectorId: string,
    update: (cur: ConnectorStatus | undefined) => ConnectorStatus,
  ): Promise<ConnectorStatus> {
    return inTransaction(this.pool, async (c) => {
      // The lock, not FOR UPDATE: the first status of a connector has no row to lock yet.
      await lockConnector(c, 'status', connectorId);
      const row = (await c.query<{ doc: string }>('SELECT doc FROM connector_status WHERE connector_id = $1', [connectorId])).rows[0];
      const next = update(row ? (JSON.parse(row.doc) as ConnectorStatus) : undefined);
      await c.query(
        'INSERT INTO connector_status (connector_id, doc, updated_at) VALUES ($1, $2, $3) ON CONFLICT (connector_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at',
        [connectorId, JSON.stringify(next), next.updatedAt],
      );
      return next;
    });
  }

  async insertCase(row: CaseRow): Promise<void> {
    await this.pool.query('INSERT INTO cases (id, data, owner, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)', [
      row.id,
      JSON.stringify(row.data),
      row.owner,
      row.createdAt,
      row.updatedAt,
    ]);
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    const r = (await this.pool.query('SELECT * FROM cases WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
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
    const rows = (await this.pool.query('SELECT * FROM notifications WHERE user_name = $1 ORDER BY id DESC LIMIT 200', [user]))
      .rows as Record<string, unknown>[];
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
    await apiKeys.insertApiKey(this.pool, row);
  }

  async findApiKey(keyHash: string): Promise<ApiKeyRow | undefined> {
    return apiKeys.findApiKey(this.pool, keyHash);
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    return apiKeys.listApiKeys(this.pool);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined> {
    return apiKeys.revokeApiKey(this.pool, id, at);
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await apiKeys.touchApiKey(this.pool, id, at);
  }

  // ---- bulk launches and schedules

  async insertBulkLaunch(row: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }> {
    return bulk.insertBulkLaunch(this.pool, row);
  }

  async getBulkLaunch(id: string): Promise<BulkLaunchRow | undefined> {
    return bulk.getBulkLaunch(this.pool, id);
  }

  async insertBulkRows(bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean> {
    return bulk.insertBulkRows(this.pool, bulkId, rows, lease);
  }

  async finishBulkParse(bulkId: string, lease: BulkLease): Promise<boolean> {
    return bulk.finishBulkParse(this.pool, bulkId, lease);
  }

  async listBulkRows(bulkId: string, afterRow: number, limit: number, status?: BulkRowRecord['status']): Promise<BulkRowRecord[]> {
    return bulk.listBulkRows(this.pool, bulkId, afterRow, limit, status);
  }

  async recordBulkResults(bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean> {
    return bulk.recordBulkResults(this.pool, bulkId, results, lease);
  }

  async finishBulkLaunch(bulkId: string, status: 'done' | 'failed', error: string | null, lease: BulkLease): Promise<boolean> {
    return bulk.finishBulkLaunch(this.pool, bulkId, status, error, lease);
  }

  async claimStaleBulkLaunches(lease: BulkLease, limit: number): Promise<BulkLaunchRow[]> {
    return bulk.claimStaleBulkLaunches(this.pool, lease, limit);
  }

  async actionIdsByLaunchKeys(keys: string[]): Promise<Map<string, string>> {
    return bulk.actionIdsByLaunchKeys(this.pool, keys);
  }

  async countReplayActions(filter: ReplayFilter): Promise<number> {
    return replays.countReplayActions(this.pool, filter);
  }

  async listReplayActions(filter: ReplayFilter, limit: number): Promise<ActionRecord[]> {
    return replays.listReplayActions(this.pool, filter, limit);
  }

  async insertSchedule(row: ScheduleRow): Promise<void> {
    return schedules.insertSchedule(this.pool, row);
  }

  async getSchedule(idOrName: string): Promise<ScheduleRow | undefined> {
    return schedules.getSchedule(this.pool, idOrName);
  }

  async listSchedules(): Promise<ScheduleRow[]> {
    return schedules.listSchedules(this.pool);
  }

  async updateSchedule(row: ScheduleRow, expectedVersion: number): Promise<boolean> {
    return schedules.updateSchedule(this.pool, row, expectedVersion);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return schedules.deleteSchedule(this.pool, id);
  }

  async claimScheduleTicks(p: { now: number; owner: string; limit: number }, plan: (s: ScheduleRow) => TickPlan): Promise<ScheduleTick[]> {
    return schedules.claimScheduleTicks(this.pool, p, plan);
  }

  async listOpenTicks(claimedBefore: number, limit: number): Promise<ScheduleTick[]> {
    return schedules.listOpenTicks(this.pool, claimedBefore, limit);
  }

  async recordTick(scheduleId: string, tickAt: number, outcome: { launchedId: string } | { error: string }): Promise<void> {
    return schedules.recordTick(this.pool, scheduleId, tickAt, outcome);
  }

  async listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]> {
    return schedules.listScheduleTicks(this.pool, scheduleId, limit);
  }

  async nextScheduleAt(): Promise<number | null> {
    return schedules.nextScheduleAt(this.pool);
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

/** A duplicate name is the caller's conflict; anything else goes up as it is. */
function configConflict(e: unknown, kind: ConfigKind, row: ConfigRow): unknown {
  if (e instanceof DatabaseError && e.code === UNIQUE_VIOLATION && e.constraint === `${TABLE[kind]}_name_key`)
    return new ConflictError(`A ${kind.replace('_', ' ')} named ${JSON.stringify(row.name)} already exists`);
  return e;
}
