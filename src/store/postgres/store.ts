// The shared store: PostgreSQL through a pg.Pool, for any number of engine nodes. This class opens the
// pools, migrates, listens and closes; each operation lives in its own module beside its SQL (the same
// file names as ../sqlite/). Every operation is one statement or one transaction; the hot paths
// (claim, insert, write) send a whole batch at once.

import { Pool, TypeOverrides, types, type ClientConfig } from 'pg';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionRecord, TimelineKind } from '../../lifecycle/action.ts';
import { loadMigrations, refuseNewerStore } from '../migrations.ts';
import type {
  NodeRow,
  TakeOver,
  ActionFilter,
  ActionWrite,
  ApiKeyRow,
  CaseRow,
  ClaimParams,
  ConcurrencyRequest,
  ConfigChange,
  ConfigKind,
  NewestPage,
  NamePage,
  SmallPage,
  ConfigRow,
  NewAction,
  NotificationQuery,
  NotificationRow,
  RatePermitGrant,
  RatePermitRequest,
  Store,
  StoreCapabilities,
  TimelineRow,
  TimelinePage,
  UiSessionRow,
} from '../types.ts';
import { ensureSetting } from './ensure-setting.ts';
import { insertConfig, updateConfig, writeConfigs } from './write-config.ts';
import { configNames, configNamesPage, getConfig, listConfig, listConfigPage } from './get-config.ts';
import { insertActions } from './insert-actions.ts';
import { actionLease, getAction, getActionByLaunchKey } from './get-action.ts';
import {
  countActions,
  countActionsByState,
  countActionsUpTo,
  countThrottledByActionType,
  listActions,
  listActionsPage,
} from './list-actions.ts';
import { listRetryScheduled } from './list-retry-scheduled.ts';
import { claimDue, nextDueAt } from './claim-due.ts';
import { writeActions } from './write-actions.ts';
import { lastTimelineEntry, listTimeline } from './list-timeline.ts';
import { acquireRatePermits } from './rate-permits.ts';
import { acquireConcurrency, releaseConcurrency } from './concurrency-slots.ts';
import { listConnectorStatus, updateConnectorStatus } from './connector-status.ts';
import { caseTitles, getCase, insertCase } from './cases.ts';
import { listNotifications, markNotificationRead, markNotificationsRead } from './list-notifications.ts';
import * as people from './people-queues.ts';
import { allocateTask } from './allocate-task.ts';
import type { ActionCounts, AllocationOutcome, CountsFilter, QueueRow, UserRow } from '../types.ts';
import * as apiKeys from './api-keys.ts';
import * as bulk from './bulk-launches.ts';
import * as replays from './bulk-replays.ts';
import * as schedules from './schedules.ts';
import * as savedViews from './saved-views.ts';
import * as connectorMinutes from './connector-minutes.ts';
import type {
  BulkLaunchRow,
  BulkLease,
  BulkRowRecord,
  BulkRowStatusFilter,
  BulkRowResult,
  ReplayFilter,
  ReplayKeyRequest,
  ReplayKeyTaken,
  ReplayRunItem,
  ReplayRunRow,
  ReplayStateCount,
  ReplaySelectionRow,
  ScheduleRow,
  ScheduleTick,
  TickPlan,
} from '../bulk-schedule-types.ts';
import * as caseRuns from './case-runs.ts';
import * as caseHistory from './case-history.ts';
import type { NewCaseHistoryEntry } from '../../processes/case-history.ts';
import type { CaseEvent } from '../../processes/runner.ts';
import type { CaseEventClaim, CaseFilter, CaseHistoryRow, CaseOutboxRow, CaseWrite, SavedViewRow, ConnectorMinute } from '../types.ts';
import * as webhooks from './webhooks.ts';
import type * as W from '../../webhooks/rows.ts';
import { classifyLostStatements, failWaitersAtEnd, inTransaction } from './transaction.ts';
import { storableParameters } from './storable-text.ts';
import { WorkListener } from './listen.ts';
import type { ConnectorStatus, StatusChange } from '../../connectors/circuit.ts';
import { createLogger, type Logger } from '../../logger.ts';
import * as nodes from './nodes.ts';
import * as heldBacklog from './held-backlog.ts';

import * as integrationLog from './integration-log.ts';
import type { IntegrationWrite, PendingRelease, PendingSubmission } from '../types.ts';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';

import { notificationsPerUserOf } from '../notification-bound.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
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
  /** The most notifications each user keeps (notification-bound.ts; CALLOUT_NOTIFICATIONS_PER_USER). @default 1000 */
  notificationsPerUser?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  // One writer: with claims made ahead the batch fills while it commits, and one big statement costs
  // both processes less than two halves (bench A, noisy machine: ≈6.0k/s vs ≈4.8k/s with two).
  // Claims are round trips worth overlapping; commits reach other nodes by NOTIFY; no local files.
  readonly capabilities: StoreCapabilities = { concurrentWriters: 1, claimAhead: true, notifiesOtherNodes: true, localDataDir: null };
  readonly pool: Pool;
  /** Claims only: a lease need not be durable (see claim-due.ts), so its commit does not wait for the WAL flush. */
  private readonly claimPool: Pool;
  private readonly config: ClientConfig;
  private readonly schema: string | undefined;
  private readonly logger: Logger;
  private readonly listeners = new Set<WorkListener>();
  private closed = false;
  private readonly notificationsPerUser: number;

  constructor(opts: PostgresStoreOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema))
      throw new Error(`schema must be lower case letters, digits and _ (at most 63), not ${JSON.stringify(opts.schema)}`);
    this.schema = opts.schema;
    this.notificationsPerUser = notificationsPerUserOf(opts.notificationsPerUser);
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
    classifyLostStatements(this.pool);
    classifyLostStatements(this.claimPool);
    failWaitersAtEnd(this.pool);
    failWaitersAtEnd(this.claimPool);
    storableParameters(this.pool);
    storableParameters(this.claimPool);
    for (const pool of [this.pool, this.claimPool])
      pool.on('error', (err) =>
        this.logger.warn(
          { code: (err as { code?: string }).code, message: err.message },
          'an idle PostgreSQL connection failed; the pool replaces it',
        ),
      );
  }

  async migrate(): Promise<string[]> {
    return inTransaction(this.pool, async (c) => {
      // Nodes starting together: the first applies the migrations, the others wait here, then find them done.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`callout_migrations:${this.schema ?? ''}`]);
      if (this.schema !== undefined) await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(
        'CREATE TABLE IF NOT EXISTS callout_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM callout_migrations')).rows.map((r) => r.version));
      const known = loadMigrations(MIGRATIONS_DIR);
      refuseNewerStore(done, known);
      const applied: string[] = [];
      for (const m of known) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO callout_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        applied.push(m.name);
      }
      return applied;
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
  async listen(onWork: (dueAt?: number) => void): Promise<() => Promise<void>> {
    const name = `callout_listen${this.schema ? `:${this.schema}` : ''}`.slice(0, 63);
    const listener = new WorkListener({ ...this.config, application_name: name }, onWork, this.logger);
    await listener.start();
    this.listeners.add(listener);
    return async () => {
      if (this.listeners.delete(listener)) await listener.stop();
    };
  }

  async ensureSetting(key: string, value: string): Promise<string> {
    return ensureSetting(this.pool, key, value);
  }

  async insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void> {
    await insertConfig(this.pool, kind, row);
  }

  async updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean> {
    return updateConfig(this.pool, kind, row, expectedRevision);
  }

  async writeConfigs(changes: ConfigChange[]): Promise<void> {
    await writeConfigs(this.pool, changes);
  }

  async getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
    return getConfig(this.pool, kind, idOrName);
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRow[]> {
    return listConfig(this.pool, kind);
  }

  async listConfigPage(kind: ConfigKind, page: NewestPage): Promise<{ rows: ConfigRow[]; more: boolean }> {
    return listConfigPage(this.pool, kind, page);
  }

  async configNamesPage(kind: ConfigKind, page: SmallPage): Promise<{ rows: Array<{ id: string; name: string }>; more: boolean }> {
    return configNamesPage(this.pool, kind, page);
  }

  async configNames(kind: ConfigKind, ids: readonly string[]): Promise<Array<{ id: string; name: string }>> {
    return configNames(this.pool, kind, ids);
  }

  async insertActions(items: NewAction[]): Promise<void> {
    await insertActions(this.pool, items, this.notificationsPerUser);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return getAction(this.pool, id);
  }

  async actionLease(id: string): Promise<{ owner: string | null; version: number } | undefined> {
    return actionLease(this.pool, id);
  }

  async getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
    return getActionByLaunchKey(this.pool, key);
  }

  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    return listActions(this.pool, filter);
  }

  async listActionsPage(filter: ActionFilter, maxBytes: number): Promise<{ actions: ActionRecord[]; more: boolean }> {
    return listActionsPage(this.pool, filter, maxBytes);
  }

  async countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
    return countActions(this.pool, filter);
  }

  async countActionsByState(filter: CountsFilter): Promise<ActionCounts> {
    return countActionsByState(this.pool, filter);
  }

  async countThrottledByActionType(): Promise<Map<string, number>> {
    return countThrottledByActionType(this.pool);
  }

  async listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]> {
    return listRetryScheduled(this.pool, actionTypeId);
  }

  async claimDue(p: ClaimParams): Promise<ActionRecord[]> {
    return claimDue(this.claimPool, p);
  }

  async nextDueAt(): Promise<number | null> {
    return nextDueAt(this.pool);
  }

  async writeActions(writes: ActionWrite[]): Promise<boolean[]> {
    return writeActions(this.pool, writes, this.notificationsPerUser);
  }

  async listTimeline(actionId: string, page?: TimelinePage): Promise<TimelineRow[]> {
    return listTimeline(this.pool, actionId, page);
  }

  async lastTimelineEntry(actionId: string, kind: TimelineKind): Promise<TimelineRow | undefined> {
    return lastTimelineEntry(this.pool, actionId, kind);
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
    return listConnectorStatus(this.pool);
  }

  async updateConnectorStatus(connectorId: string, change: StatusChange): Promise<{ status: ConnectorStatus; applied: boolean }> {
    return updateConnectorStatus(this.pool, connectorId, change);
  }

  async insertCase(row: CaseRow): Promise<void> {
    await insertCase(this.pool, row);
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    return getCase(this.pool, id);
  }

  async caseTitles(ids: readonly string[]): Promise<Map<string, string | null>> {
    return caseTitles(this.pool, ids);
  }

  async listNotifications(user: string, opts?: NotificationQuery): Promise<NotificationRow[]> {
    return listNotifications(this.pool, user, opts);
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

  async listApiKeysPage(page: SmallPage): Promise<{ rows: ApiKeyRow[]; more: boolean }> {
    return apiKeys.listApiKeysPage(this.pool, page);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined> {
    return apiKeys.revokeApiKey(this.pool, id, at);
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await apiKeys.touchApiKey(this.pool, id, at);
  }

  async insertUiSession(row: UiSessionRow, now: number, maxPerKey: number): Promise<void> {
    await apiKeys.insertUiSession(this.pool, row, now, maxPerKey);
  }

  async findUiSession(id: string): Promise<UiSessionRow | undefined> {
    return apiKeys.findUiSession(this.pool, id);
  }

  async deleteUiSession(id: string): Promise<void> {
    await apiKeys.deleteUiSession(this.pool, id);
  }

  // The operations of the resources below are the same plain delegations, one line each, so that this
  // class stays a table of contents of the store.

  // ---- bulk launches and schedules

  insertBulkLaunch = async (row: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }> => bulk.insertBulkLaunch(this.pool, row);
  getBulkLaunch = async (id: string): Promise<BulkLaunchRow | undefined> => bulk.getBulkLaunch(this.pool, id);
  insertBulkRows = async (bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean> =>
    bulk.insertBulkRows(this.pool, bulkId, rows, lease);
  finishBulkParse = async (bulkId: string, lease: BulkLease): Promise<boolean> => bulk.finishBulkParse(this.pool, bulkId, lease);
  listBulkRows = async (
    bulkId: string,
    afterRow: number,
    limit: number,
    status?: BulkRowStatusFilter,
    maxBytes?: number,
  ): Promise<BulkRowRecord[]> => bulk.listBulkRows(this.pool, bulkId, afterRow, limit, status, maxBytes);
  recordBulkResults = async (bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean> =>
    bulk.recordBulkResults(this.pool, bulkId, results, lease);
  finishBulkLaunch = async (bulkId: string, status: 'done' | 'failed', error: string | null, lease: BulkLease): Promise<boolean> =>
    bulk.finishBulkLaunch(this.pool, bulkId, status, error, lease);
  claimStaleBulkLaunches = async (lease: BulkLease, limit: number): Promise<BulkLaunchRow[]> =>
    bulk.claimStaleBulkLaunches(this.pool, lease, limit);
  actionIdsByLaunchKeys = async (keys: string[]): Promise<Map<string, string>> => bulk.actionIdsByLaunchKeys(this.pool, keys);
  countReplayActions = async (filter: ReplayFilter): Promise<number> => replays.countReplayActions(this.pool, filter);
  listReplayActions = async (filter: ReplayFilter, limit: number): Promise<ActionRecord[]> =>
    replays.listReplayActions(this.pool, filter, limit);
  listReplayActionIds = async (filter: ReplayFilter, limit: number): Promise<string[]> =>
    replays.listReplayActionIds(this.pool, filter, limit);
  takeReplayKey = async (r: ReplayKeyRequest): Promise<ReplayKeyTaken> => replays.takeReplayKey(this.pool, r);
  renewReplayKey = async (key: string, owner: string, leaseUntil: number): Promise<boolean> =>
    replays.renewReplayKey(this.pool, key, owner, leaseUntil);
  finishReplayKey = async (key: string, owner: string, report: string | null): Promise<void> =>
    replays.finishReplayKey(this.pool, key, owner, report);
  countReplayByState = async (filter: ReplayFilter): Promise<ReplayStateCount[]> => replays.countReplayByState(this.pool, filter);
  insertReplayRun = async (row: ReplayRunRow): Promise<void> => replays.insertReplayRun(this.pool, row);
  recordReplayItems = async (
    runId: string,
    items: ReplayRunItem[],
    totals: { done: number; skipped: number; updatedAt: number },
  ): Promise<void> => replays.recordReplayItems(this.pool, runId, items, totals);
  finishReplayRun = async (
    runId: string,
    end: { status: 'done' | 'failed'; remaining: number; error: string | null; finishedAt: number },
  ): Promise<void> => replays.finishReplayRun(this.pool, runId, end);
  getReplayRun = async (id: string): Promise<ReplayRunRow | undefined> => replays.getReplayRun(this.pool, id);
  listReplayRunItems = async (runId: string, afterSeq: number, limit: number): Promise<ReplayRunItem[]> =>
    replays.listReplayRunItems(this.pool, runId, afterSeq, limit);
  touchReplayRun = async (runId: string, at: number): Promise<void> => replays.touchReplayRun(this.pool, runId, at);
  listReplayRuns = async (q: { createdBy?: string; before?: string; limit: number }): Promise<ReplayRunRow[]> =>
    replays.listReplayRuns(this.pool, q);
  pruneReplayRuns = async (movedBefore: number, limit: { runs: number; items: number }): Promise<number> =>
    replays.pruneReplayRuns(this.pool, movedBefore, limit);
  insertReplaySelection = async (row: ReplaySelectionRow, keepPerUser: number): Promise<void> =>
    replays.insertReplaySelection(this.pool, row, keepPerUser);
  getReplaySelection = async (id: string): Promise<ReplaySelectionRow | undefined> => replays.getReplaySelection(this.pool, id);
  useReplaySelection = async (id: string, usedAt: number): Promise<boolean> => replays.useReplaySelection(this.pool, id, usedAt);
  pruneReplaySelections = async (now: number, limit: number): Promise<number> => replays.pruneReplaySelections(this.pool, now, limit);
  insertSchedule = async (row: ScheduleRow): Promise<void> => schedules.insertSchedule(this.pool, row);
  getSchedule = async (idOrName: string): Promise<ScheduleRow | undefined> => schedules.getSchedule(this.pool, idOrName);
  listSchedules = async (): Promise<ScheduleRow[]> => schedules.listSchedules(this.pool);
  listSchedulesPage = async (page: NewestPage): Promise<{ rows: ScheduleRow[]; more: boolean }> =>
    schedules.listSchedulesPage(this.pool, page);
  updateSchedule = async (row: ScheduleRow, expectedVersion: number): Promise<boolean> =>
    schedules.updateSchedule(this.pool, row, expectedVersion);
  deleteSchedule = async (id: string, expectedVersion?: number): Promise<boolean> =>
    schedules.deleteSchedule(this.pool, id, expectedVersion);
  claimScheduleTicks = async (
    p: { now: number; owner: string; limit: number },
    plan: (s: ScheduleRow) => TickPlan,
  ): Promise<ScheduleTick[]> => schedules.claimScheduleTicks(this.pool, p, plan);
  listOpenTicks = async (claimedBefore: number, limit: number): Promise<ScheduleTick[]> =>
    schedules.listOpenTicks(this.pool, claimedBefore, limit);
  recordTick = async (scheduleId: string, tickAt: number, outcome: { launchedId: string } | { error: string }): Promise<void> =>
    schedules.recordTick(this.pool, scheduleId, tickAt, outcome);
  listScheduleTicks = async (scheduleId: string, limit: number): Promise<ScheduleTick[]> =>
    schedules.listScheduleTicks(this.pool, scheduleId, limit);
  nextScheduleAt = async (): Promise<number | null> => schedules.nextScheduleAt(this.pool);

  // ---- people and queues (W1)
  insertUser = async (row: UserRow): Promise<void> => void (await people.insertUser(this.pool, row));
  getUser = async (name: string): Promise<UserRow | undefined> => people.getUser(this.pool, name);
  listUsers = async (): Promise<UserRow[]> => people.listUsers(this.pool);
  listUsersPage = async (page: NamePage): Promise<{ rows: UserRow[]; more: boolean }> => people.listUsersPage(this.pool, page);
  updateUser = async (row: UserRow): Promise<boolean> => people.updateUser(this.pool, row);
  listTasksOfDisabledUsers = async (limit: number): Promise<ActionRecord[]> => people.listTasksOfDisabledUsers(this.pool, limit);
  listOverdueToNotice = async (now: number, limit: number): Promise<ActionRecord[]> => people.listOverdueToNotice(this.pool, now, limit);
  insertQueue = async (row: QueueRow): Promise<void> => void (await people.insertQueue(this.pool, row));
  getQueue = async (name: string): Promise<QueueRow | undefined> => people.getQueue(this.pool, name);
  findQueue = async (name: string): Promise<QueueRow | undefined> => people.findQueue(this.pool, name);
  listQueues = async (): Promise<QueueRow[]> => people.listQueues(this.pool);
  listQueuesPage = async (page: NamePage): Promise<{ rows: QueueRow[]; more: boolean }> => people.listQueuesPage(this.pool, page);
  updateQueue = async (row: QueueRow, expectedRevision: number, releases: readonly PendingRelease[] = []): Promise<boolean> =>
    releases.length === 0
      ? people.updateQueue(this.pool, row, expectedRevision)
      : inTransaction(this.pool, (client) => people.updateQueue(client, row, expectedRevision, releases));
  listPendingReleases = async (atOrBefore: number, limit: number): Promise<PendingRelease[]> =>
    people.listPendingReleases(this.pool, atOrBefore, limit);
  dropPendingRelease = async (r: Pick<PendingRelease, 'holder' | 'queue' | 'at'>): Promise<void> => people.dropPendingRelease(this.pool, r);
  allocateTask = async (actionId: string, at: number): Promise<AllocationOutcome | undefined> => allocateTask(this.pool, actionId, at);
  markNotificationRead = async (id: number, user: string, at: number): Promise<NotificationRow | undefined> =>
    markNotificationRead(this.pool, id, user, at);
  markNotificationsRead = async (user: string, upTo: number, at: number): Promise<number> =>
    markNotificationsRead(this.pool, user, upTo, at);

  // ---- nodes and takeover (issue 11)
  heartbeatNode = async (n: NodeRow): Promise<void> => void (await nodes.heartbeatNode(this.pool, n));
  listNodes = async (): Promise<NodeRow[]> => nodes.listNodes(this.pool);
  takeOver = async (t: TakeOver): Promise<string[]> => nodes.takeOver(this.pool, t);

  // ---- cases and processes
  createCase = async (
    row: CaseRow,
    opts?: {
      launchKey?: string;
      launchHash?: string;
      startEvent?: CaseEvent;
      events?: W.WebhookEventRow[];
      history?: NewCaseHistoryEntry[];
    },
  ): Promise<void> => void (await caseRuns.createCase(this.pool, row, opts));
  getCaseByLaunchKey = async (key: string): Promise<{ row: CaseRow; launchHash: string | null } | undefined> =>
    caseRuns.getCaseByLaunchKey(this.pool, key);
  countCasesUpTo = async (filter: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>, upTo: number): Promise<number> =>
    caseRuns.countCasesUpTo(this.pool, filter, upTo);
  countActionsUpTo = async (filter: Omit<ActionFilter, 'limit' | 'before' | 'text' | 'textCaseIds'>, upTo: number): Promise<number> =>
    countActionsUpTo(this.pool, filter, upTo);

  // ---- saved views
  addConnectorMinutes = async (rows: ConnectorMinute[]): Promise<void> => connectorMinutes.addConnectorMinutes(this.pool, rows);
  deleteConnectorMinutesBefore = async (before: number, limit: number): Promise<number> =>
    connectorMinutes.deleteConnectorMinutesBefore(this.pool, before, limit);
  readConnectorMinutes = async (connectorId: string, from: number, to: number, bucketMs: number): Promise<ConnectorMinute[]> =>
    connectorMinutes.readConnectorMinutes(this.pool, connectorId, from, to, bucketMs);
  rateWindowsUsed = async (connectorId: string, windows: ReadonlyArray<{ perMs: number; start: number }>): Promise<number[]> =>
    connectorMinutes.rateWindowsUsed(this.pool, connectorId, windows);
  insertSavedView = async (row: SavedViewRow, maxPerOwner: number): Promise<boolean> =>
    savedViews.insertSavedView(this.pool, row, maxPerOwner);
  getSavedView = async (id: string): Promise<SavedViewRow | undefined> => savedViews.getSavedView(this.pool, id);
  listSavedViews = async (owner: string, screen: SavedViewRow['screen'] | undefined, sharedLimit: number): Promise<SavedViewRow[]> =>
    savedViews.listSavedViews(this.pool, owner, screen, sharedLimit);
  listSavedViewsNaming = async (screen: SavedViewRow['screen'], filter: string): Promise<SavedViewRow[]> =>
    savedViews.listSavedViewsNaming(this.pool, screen, filter);
  updateSavedView = async (row: SavedViewRow, expectedRevision: number): Promise<boolean> =>
    savedViews.updateSavedView(this.pool, row, expectedRevision);
  deleteSavedView = async (id: string, expectedRevision?: number): Promise<boolean> =>
    savedViews.deleteSavedView(this.pool, id, expectedRevision);

  listCases = async (filter: CaseFilter): Promise<{ cases: CaseRow[]; more: boolean; resumeBefore?: string }> =>
    caseRuns.listCases(this.pool, filter);
  updateCase = async (w: CaseWrite): Promise<boolean> => caseRuns.updateCase(this.pool, w, this.notificationsPerUser);
  listCaseHistory = async (caseId: string, page: { before?: number; limit: number }): Promise<CaseHistoryRow[]> =>
    caseHistory.listCaseHistory(this.pool, caseId, page);
  claimCaseEvents = async (p: CaseEventClaim): Promise<CaseOutboxRow[]> => caseRuns.claimCaseEvents(this.pool, p);
  deleteCaseEvent = async (seq: number): Promise<void> => void (await caseRuns.deleteCaseEvent(this.pool, seq));
  releaseCaseEvent = async (seq: number, leaseUntil: number, until: number): Promise<boolean> =>
    caseRuns.releaseCaseEvent(this.pool, seq, leaseUntil, until);

  // ---- webhooks out and signed inbound (W4a)
  insertWebhookSubscription = async (row: W.WebhookSubscriptionRow): Promise<void> =>
    void (await webhooks.insertWebhookSubscription(this.pool, row));
  updateWebhookSubscription = async (row: W.WebhookSubscriptionRow, expectedRevision: number): Promise<boolean> =>
    webhooks.updateWebhookSubscription(this.pool, row, expectedRevision);
  getWebhookSubscription = async (id: string): Promise<W.WebhookSubscriptionRow | undefined> =>
    webhooks.getWebhookSubscription(this.pool, id);
  listWebhookSubscriptions = async (): Promise<W.WebhookSubscriptionRow[]> => webhooks.listWebhookSubscriptions(this.pool);
  listWebhookSubscriptionsPage = async (page: SmallPage): Promise<{ rows: W.WebhookSubscriptionRow[]; more: boolean }> =>
    webhooks.listWebhookSubscriptionsPage(this.pool, page);
  deleteWebhookSubscription = async (id: string, expectedRevision?: number): Promise<boolean> =>
    webhooks.deleteWebhookSubscription(this.pool, id, expectedRevision);
  insertWebhookEvents = async (events: W.WebhookEventRow[]): Promise<void> => void (await webhooks.insertWebhookEvents(this.pool, events));
  claimWebhookDeliveries = async (p: W.WebhookClaimParams): Promise<W.WebhookDeliveryRow[]> =>
    webhooks.claimWebhookDeliveries(this.pool, p);
  finishWebhookAttempts = async (results: W.WebhookAttemptResult[]): Promise<boolean[]> =>
    webhooks.finishWebhookAttempts(this.pool, results, this.notificationsPerUser);
  listWebhookDeliveries = async (
    subscriptionId: string,
    limit: number,
    before?: string,
  ): Promise<Array<W.WebhookDeliveryRow & { attemptList: W.WebhookAttemptRow[] }>> =>
    webhooks.listWebhookDeliveries(this.pool, subscriptionId, limit, before);
  retryWebhookDelivery = async (subscriptionId: string, deliveryId: string, now: number): Promise<W.WebhookDeliveryRow | undefined> =>
    webhooks.retryWebhookDelivery(this.pool, subscriptionId, deliveryId, now);
  rememberInboundId = async (id: string, until: number, now: number): Promise<boolean> =>
    webhooks.rememberInboundId(this.pool, id, until, now);
  forgetInboundId = async (id: string): Promise<void> => webhooks.forgetInboundId(this.pool, id);

  // ---- held backlogs (I11b)
  latestHeldDueAt = async (actionTypeIds: readonly string[]): Promise<number | null> =>
    heldBacklog.latestHeldDueAt(this.pool, actionTypeIds);

  // ---- integrated queues (I13b)
  writeIntegration = async (w: IntegrationWrite): Promise<boolean> =>
    integrationLog.writeIntegration(this.pool, w, this.notificationsPerUser);
  listIntegrationLog = async (taskId: string): Promise<IntegrationLogEntry[]> => integrationLog.listIntegrationLog(this.pool, taskId);
  integrationTaskOf = async (actionId: string): Promise<string | undefined> => integrationLog.integrationTaskOf(this.pool, actionId);
  listUnsettledIntegrationActions = async (limit: number): Promise<string[]> =>
    integrationLog.listUnsettledIntegrationActions(this.pool, limit);
  listPendingSubmissions = async (limit: number, actionId?: string): Promise<PendingSubmission[]> =>
    integrationLog.listPendingSubmissions(this.pool, limit, actionId);
  dropPendingSubmission = async (actionId: string, seen?: Pick<PendingSubmission, 'queue' | 'at'>): Promise<void> =>
    integrationLog.dropPendingSubmission(this.pool, actionId, seen);
}
