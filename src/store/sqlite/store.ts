// The embedded store: one SQLite file (better-sqlite3, WAL). This class opens, migrates and closes the
// file; each operation lives in its own module beside its SQL (the same file names as ../postgres/).
// better-sqlite3 is synchronous, so every method is one synchronous transaction wrapped in a resolved
// promise to fit the async Store interface.

import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionRecord } from '../../lifecycle/action.ts';
import { loadMigrations } from '../migrations.ts';
import type {
  NodeRow,
  TakeOver,
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
  StoreCapabilities,
  TimelineRow,
} from '../types.ts';
import { prepared } from './statements.ts';
import { ensureSetting } from './ensure-setting.ts';
import { insertConfig, updateConfig } from './write-config.ts';
import { getConfig, listConfig } from './get-config.ts';
import { insertActions } from './insert-actions.ts';
import { getAction, getActionByLaunchKey } from './get-action.ts';
import { countActions, listActions } from './list-actions.ts';
import { listRetryScheduled } from './list-retry-scheduled.ts';
import { claimDue, nextDueAt } from './claim-due.ts';
import { writeActions } from './write-actions.ts';
import { listTimeline } from './list-timeline.ts';
import { acquireRatePermits } from './rate-permits.ts';
import { acquireConcurrency, releaseConcurrency } from './concurrency-slots.ts';
import { listConnectorStatus, updateConnectorStatus } from './connector-status.ts';
import { getCase, insertCase } from './cases.ts';
import { listNotifications, markNotificationRead } from './list-notifications.ts';
import * as people from './people-queues.ts';
import { allocateTask } from './allocate-task.ts';
import type { AllocationOutcome, QueueRow, UserRow } from '../types.ts';
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
import * as caseRuns from './case-runs.ts';
import type { CaseEvent } from '../../processes/runner.ts';
import type { CaseEventClaim, CaseFilter, CaseOutboxRow, CaseWrite } from '../types.ts';
import * as webhooks from './webhooks.ts';
import type * as W from '../../webhooks/rows.ts';
import { SetupError } from '../../errors.ts';
import { restrictToOwner } from '../../crypto/files.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectorStatus } from '../../connectors/circuit.ts';
import * as nodes from './nodes.ts';
import * as heldBacklog from './held-backlog.ts';

import * as integrationLog from './integration-log.ts';
import type { IntegrationWrite } from '../types.ts';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

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
  readonly capabilities: StoreCapabilities;
  readonly db: Database.Database;
  private readonly fullSync: boolean;

  constructor(opts: SqliteStoreOptions) {
    const dir = dirname(opts.file);
    // One writer at a time (the file's lock), no one to notify, and a folder of our own.
    this.capabilities = { concurrentWriters: 1, notifiesOtherNodes: false, localDataDir: dir };
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
    prepared(this.db, 'SELECT max(version) FROM callout_migrations').get();
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
    return ensureSetting(this.db, key, value);
  }

  async insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void> {
    insertConfig(this.db, kind, row);
  }

  async updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean> {
    return updateConfig(this.db, kind, row, expectedRevision);
  }

  async getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
    return getConfig(this.db, kind, idOrName);
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRow[]> {
    return listConfig(this.db, kind);
  }

  async insertActions(items: NewAction[]): Promise<void> {
    insertActions(this.db, items);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    return getAction(this.db, id);
  }

  async getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
    return getActionByLaunchKey(this.db, key);
  }

  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    return listActions(this.db, filter);
  }

  async countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
    return countActions(this.db, filter);
  }

  async listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]> {
    return listRetryScheduled(this.db, actionTypeId);
  }

  async claimDue(p: ClaimParams): Promise<ActionRecord[]> {
    return claimDue(this.db, p, this.fullSync);
  }

  async nextDueAt(): Promise<number | null> {
    return nextDueAt(this.db);
  }

  async writeActions(writes: ActionWrite[]): Promise<boolean[]> {
    return writeActions(this.db, writes);
  }

  async listTimeline(actionId: string): Promise<TimelineRow[]> {
    return listTimeline(this.db, actionId);
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
    return listConnectorStatus(this.db);
  }

  async updateConnectorStatus(
    connectorId: string,
    update: (cur: ConnectorStatus | undefined) => ConnectorStatus,
  ): Promise<ConnectorStatus> {
    return updateConnectorStatus(this.db, connectorId, update);
  }

  async insertCase(row: CaseRow): Promise<void> {
    insertCase(this.db, row);
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    return getCase(this.db, id);
  }

  async listNotifications(user: string, opts?: { unreadOnly?: boolean }): Promise<NotificationRow[]> {
    return listNotifications(this.db, user, opts);
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

  // ---- people and queues (W1)
  async insertUser(row: UserRow): Promise<void> {
    people.insertUser(this.db, row);
  }

  async getUser(name: string): Promise<UserRow | undefined> {
    return people.getUser(this.db, name);
  }

  async listUsers(): Promise<UserRow[]> {
    return people.listUsers(this.db);
  }

  async updateUser(row: UserRow): Promise<boolean> {
    return people.updateUser(this.db, row);
  }

  async insertQueue(row: QueueRow): Promise<void> {
    people.insertQueue(this.db, row);
  }

  async getQueue(name: string): Promise<QueueRow | undefined> {
    return people.getQueue(this.db, name);
  }

  async listQueues(): Promise<QueueRow[]> {
    return people.listQueues(this.db);
  }

  async updateQueue(row: QueueRow, expectedRevision: number): Promise<boolean> {
    return people.updateQueue(this.db, row, expectedRevision);
  }

  async allocateTask(actionId: string, at: number): Promise<AllocationOutcome | undefined> {
    return allocateTask(this.db, actionId, at);
  }

  async markNotificationRead(id: number, user: string, at: number): Promise<NotificationRow | undefined> {
    return markNotificationRead(this.db, id, user, at);
  }

  // ---- nodes and takeover (issue 11)
  async heartbeatNode(n: NodeRow): Promise<void> {
    nodes.heartbeatNode(this.db, n);
  }

  async listNodes(): Promise<NodeRow[]> {
    return nodes.listNodes(this.db);
  }

  async takeOver(t: TakeOver): Promise<string[]> {
    return nodes.takeOver(this.db, t);
  }

  // ---- cases and processes
  async createCase(row: CaseRow, opts?: { launchKey?: string; launchHash?: string; startEvent?: CaseEvent }): Promise<void> {
    caseRuns.createCase(this.db, row, opts);
  }

  async getCaseByLaunchKey(key: string): Promise<{ row: CaseRow; launchHash: string | null } | undefined> {
    return caseRuns.getCaseByLaunchKey(this.db, key);
  }

  async listCases(filter: CaseFilter): Promise<CaseRow[]> {
    return caseRuns.listCases(this.db, filter);
  }

  async updateCase(w: CaseWrite): Promise<boolean> {
    return caseRuns.updateCase(this.db, w);
  }

  async claimCaseEvents(p: CaseEventClaim): Promise<CaseOutboxRow[]> {
    return caseRuns.claimCaseEvents(this.db, p);
  }

  async deleteCaseEvent(seq: number): Promise<void> {
    caseRuns.deleteCaseEvent(this.db, seq);
  }

  // ---- webhooks out and signed inbound (W4a)
  async insertWebhookSubscription(row: W.WebhookSubscriptionRow): Promise<void> {
    webhooks.insertWebhookSubscription(this.db, row);
  }

  async updateWebhookSubscription(row: W.WebhookSubscriptionRow, expectedRevision: number): Promise<boolean> {
    return webhooks.updateWebhookSubscription(this.db, row, expectedRevision);
  }

  async getWebhookSubscription(id: string): Promise<W.WebhookSubscriptionRow | undefined> {
    return webhooks.getWebhookSubscription(this.db, id);
  }

  async listWebhookSubscriptions(): Promise<W.WebhookSubscriptionRow[]> {
    return webhooks.listWebhookSubscriptions(this.db);
  }

  async deleteWebhookSubscription(id: string): Promise<boolean> {
    return webhooks.deleteWebhookSubscription(this.db, id);
  }

  async insertWebhookEvents(events: W.WebhookEventRow[]): Promise<void> {
    webhooks.insertWebhookEvents(this.db, events);
  }

  async claimWebhookDeliveries(p: W.WebhookClaimParams): Promise<W.WebhookDeliveryRow[]> {
    return webhooks.claimWebhookDeliveries(this.db, p);
  }

  async finishWebhookAttempts(results: W.WebhookAttemptResult[]): Promise<boolean[]> {
    return webhooks.finishWebhookAttempts(this.db, results);
  }

  async listWebhookDeliveries(
    subscriptionId: string,
    limit: number,
  ): Promise<Array<W.WebhookDeliveryRow & { attemptList: W.WebhookAttemptRow[] }>> {
    return webhooks.listWebhookDeliveries(this.db, subscriptionId, limit);
  }

  async retryWebhookDelivery(subscriptionId: string, deliveryId: string, now: number): Promise<W.WebhookDeliveryRow | undefined> {
    return webhooks.retryWebhookDelivery(this.db, subscriptionId, deliveryId, now);
  }

  async rememberInboundId(id: string, until: number, now: number): Promise<boolean> {
    return webhooks.rememberInboundId(this.db, id, until, now);
  }

  // ---- held backlogs (I11b)
  async latestHeldDueAt(actionTypeIds: readonly string[]): Promise<number | null> {
    return heldBacklog.latestHeldDueAt(this.db, actionTypeIds);
  }

  // ---- integrated queues (I13b)
  async writeIntegration(w: IntegrationWrite): Promise<boolean> {
    return integrationLog.writeIntegration(this.db, w);
  }

  async listIntegrationLog(taskId: string): Promise<IntegrationLogEntry[]> {
    return integrationLog.listIntegrationLog(this.db, taskId);
  }

  async integrationTaskOf(actionId: string): Promise<string | undefined> {
    return integrationLog.integrationTaskOf(this.db, actionId);
  }
}
