// The embedded store: one SQLite file (better-sqlite3, WAL). This class opens, migrates and closes the
// file; each operation lives in its own module beside its SQL (the same file names as ../postgres/).
// better-sqlite3 is synchronous, so every method is one synchronous transaction wrapped in a resolved
// promise to fit the async Store interface.

import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, realpathSync } from 'node:fs';
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
import { prepared } from './statements.ts';
import { FALLBACK_CHECKPOINT_PAGES, WalCheckpointer } from './checkpointer.ts';
import { WalSync } from './wal-sync.ts';
import { ensureSetting } from './ensure-setting.ts';
import { insertConfig, updateConfig, writeConfigs } from './write-config.ts';
import { configNames, configNamesPage, getConfig, listConfig, listConfigPage } from './get-config.ts';
import { insertActions, launchedIds, prepareInserts, type PreparedInsert } from './insert-actions.ts';
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
import { prepareWrite, writeActions, writtenId, type PreparedWrite } from './write-actions.ts';
import { lastTimelineEntry, listTimeline } from './list-timeline.ts';
import { actionFromValues } from '../rows.ts';
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
import { SetupError } from '../../errors.ts';
import { restrictToOwner } from '../../crypto/files.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectorStatus, StatusChange } from '../../connectors/circuit.ts';
import * as nodes from './nodes.ts';
import * as heldBacklog from './held-backlog.ts';

import * as integrationLog from './integration-log.ts';
import type { IntegrationWrite, PendingRelease, PendingSubmission } from '../types.ts';
import type { IntegrationLogEntry } from '../../integrated-queues/rules.ts';

import { notificationsPerUserOf } from '../notification-bound.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface SqliteStoreOptions {
  /** Path of the database file. */
  file: string;
  /** `full` fsyncs every commit (survives power loss); `normal` survives process crashes only. @default "full" */
  synchronous?: 'full' | 'normal';
  /** Told when an existing file or folder had its permissions tightened. */
  logger?: Pick<Logger, 'warn'>;
  /** Check every page at opening (`PRAGMA quick_check`); off for a second connection to a file just checked. @default true */
  quickCheck?: boolean;
  /**
   * Copy the write-ahead log into the file on a thread of its own (checkpointer.ts) rather than in
   * the commit that passes 1,000 pages: for the connection that does a node's writes. @default false
   */
  backgroundCheckpoints?: boolean;
  /** The most notifications each user keeps (notification-bound.ts; CALLOUT_NOTIFICATIONS_PER_USER). @default 1000 */
  notificationsPerUser?: number;
}

/**
 * Puts the file in WAL mode. A change of journal mode wants the file to itself and does not wait for it
 * (SQLite answers SQLITE_BUSY at once, whatever busy_timeout says): two nodes started together on a new
 * file failed there one time in four, the second with a stack trace. Asked again for up to 10 s.
 */
function walMode(db: Database.Database): void {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw e;
      // A synchronous wait (the constructor cannot await): the other node's migrations take moments.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.floor(Math.random() * 30));
    }
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly capabilities: StoreCapabilities;
  readonly db: Database.Database;
  /** True when its operations run on a worker thread (thread.ts). */
  readonly onThread: boolean = false;
  private readonly fullSync: boolean;
  private readonly notificationsPerUser: number;
  /** With `full`: the hot writes' fsync, grouped and off the event loop (wal-sync.ts). */
  readonly walSync: WalSync | null;
  private readonly checkpointer: WalCheckpointer | null = null;
  /** The actions written by commits not known to be on disk yet: the number of the last such commit (WalSync), by id. */
  private readonly unsynced = new Map<string, number>();
  /**
   * PRAGMA data_version when this connection last made sure others' commits were on disk; none at
   * first, since commits made before it opened (another process's, a dead SQLite thread's) may be
   * unsynced too: the first claim or read that finds something syncs the log.
   */
  private othersSeen: number | undefined;

  constructor(opts: SqliteStoreOptions) {
    const dir = dirname(opts.file);
    // One writer at a time (the file's lock), no one to notify, and a folder of our own. Claims are
    // not round trips here, but they cost less per row in batches (256 rows: about half the time per
    // row of 64), which claiming ahead of room to send gives.
    this.notificationsPerUser = notificationsPerUserOf(opts.notificationsPerUser);
    this.capabilities = { concurrentWriters: 1, claimAhead: true, notifiesOtherNodes: false, localDataDir: dir };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Owner-only from the first byte: SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(opts.file, 'a', 0o600));
    const notice = (message: string): void => void opts.logger?.warn(message);
    for (const path of [dir, opts.file, `${opts.file}-wal`, `${opts.file}-shm`]) restrictToOwner(path, notice);
    this.db = new Database(opts.file);
    try {
      // Several engine processes may share the file; wait for the writer lock rather than fail.
      this.db.pragma('busy_timeout = 10000');
      walMode(this.db);
      this.fullSync = opts.synchronous !== 'normal';
      this.db.pragma(`synchronous = ${this.fullSync ? 'FULL' : 'NORMAL'}`);
      this.walSync = this.fullSync ? new WalSync(realpathSync(opts.file)) : null;
      this.db.pragma('foreign_keys = ON');
      // Every page and index, without the cross-checks of integrity_check: about 1 s on a 1.2 GB store.
      const found = opts.quickCheck === false ? 'ok' : (this.db.pragma('quick_check(1)') as Array<{ quick_check: string }>)[0]?.quick_check;
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
    if (opts.backgroundCheckpoints) {
      this.db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
      this.checkpointer = new WalCheckpointer({
        file: opts.file,
        synchronous: this.fullSync ? 'full' : 'normal',
        onError: (message) => opts.logger?.warn(message),
        // Without it, the writer checkpoints as SQLite does by default, in the commit that passes 1,000 pages.
        onLost: () => {
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        },
      });
    }
  }

  /** Proves the file still answers, for /health: one read of the migrations table. */
  async ping(): Promise<void> {
    this.refuseIfStopped();
    prepared(this.db, 'SELECT max(version) FROM callout_migrations').get();
  }

  async migrate(): Promise<string[]> {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS callout_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const done = new Set((db.prepare('SELECT version FROM callout_migrations').all() as { version: number }[]).map((r) => r.version));
    const known = loadMigrations(MIGRATIONS_DIR);
    refuseNewerStore(done, known);
    const applied: string[] = [];
    for (const m of known) {
      if (done.has(m.version)) continue;
      // Asked again under the write lock: another process opening the same new file may have applied it
      // since (two started at once, one failed on "table users already exists" with a stack trace).
      const ran = db
        .transaction(() => {
          if (db.prepare('SELECT 1 FROM callout_migrations WHERE version = ?').get(m.version)) return false;
          db.exec(m.sql);
          db.prepare('INSERT INTO callout_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
          return true;
        })
        .immediate();
      if (ran) applied.push(m.name);
    }
    return applied;
  }

  async close(): Promise<void> {
    // Writes waiting for their sync get it before the file closes.
    await this.walSync?.idle();
    this.walSync?.close();
    await this.checkpointer?.stop();
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

  async writeConfigs(changes: ConfigChange[]): Promise<void> {
    writeConfigs(this.db, changes);
  }

  async getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined> {
    return getConfig(this.db, kind, idOrName);
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRow[]> {
    return listConfig(this.db, kind);
  }

  async listConfigPage(kind: ConfigKind, page: NewestPage): Promise<{ rows: ConfigRow[]; more: boolean }> {
    return listConfigPage(this.db, kind, page);
  }

  async configNamesPage(kind: ConfigKind, page: SmallPage): Promise<{ rows: Array<{ id: string; name: string }>; more: boolean }> {
    return configNamesPage(this.db, kind, page);
  }

  async configNames(kind: ConfigKind, ids: readonly string[]): Promise<Array<{ id: string; name: string }>> {
    return configNames(this.db, kind, ids);
  }

  async insertActions(items: NewAction[]): Promise<void> {
    return this.insertPrepared(prepareInserts(items));
  }

  /** insertActions of launches prepared already (on the event loop, when this store runs on the SQLite thread). */
  async insertPrepared(p: PreparedInsert): Promise<void> {
    return this.syncedAfter(() => insertActions(this.db, p, this.notificationsPerUser), launchedIds(p));
  }

  // A read may answer a repeated launch or callback with 2xx and no write: what it read must be on disk.
  async getAction(id: string): Promise<ActionRecord | undefined> {
    const a = getAction(this.db, id);
    if (a) await this.onDisk([a.id]);
    return a;
  }

  async actionLease(id: string): Promise<{ owner: string | null; version: number } | undefined> {
    this.refuseIfStopped();
    return actionLease(this.db, id);
  }

  async getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined> {
    const r = getActionByLaunchKey(this.db, key);
    if (r) await this.onDisk([r.action.id]);
    return r;
  }

  // Lists and counts stop with the store too: rows a failed sync covered may not survive a restart.
  async listActions(filter: ActionFilter): Promise<ActionRecord[]> {
    this.refuseIfStopped();
    return listActions(this.db, filter);
  }

  async listActionsPage(
    filter: ActionFilter,
    maxBytes: number,
  ): Promise<{ actions: ActionRecord[]; more: boolean; resumeBefore?: string }> {
    this.refuseIfStopped();
    return listActionsPage(this.db, filter, maxBytes);
  }

  async countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number> {
    this.refuseIfStopped();
    return countActions(this.db, filter);
  }

  async countActionsByState(filter: CountsFilter): Promise<ActionCounts> {
    this.refuseIfStopped();
    return countActionsByState(this.db, filter);
  }

  async countThrottledByActionType(): Promise<Map<string, number>> {
    this.refuseIfStopped();
    return countThrottledByActionType(this.db);
  }

  async listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]> {
    return listRetryScheduled(this.db, actionTypeId);
  }

  async claimDue(p: ClaimParams): Promise<ActionRecord[]> {
    return (await this.claimDueValues(p)).map(actionFromValues);
  }

  /** claimDue's rows as the values actionFromValues reads: what the SQLite thread sends back (thread.ts). */
  async claimDueValues(p: ClaimParams): Promise<unknown[][]> {
    // Stopped by a failed sync: what was on disk before is not sent either, since its outcome could not
    // be kept and each lease's end would send it again.
    this.refuseIfStopped();
    const rows = claimDue(this.db, p, this.fullSync);
    // What is claimed is sent out at once: a launch (or an outcome) whose sync has not ended yet must
    // not reach an external system and then vanish in a power cut. Only a claimed row written by such a
    // commit waits: work launched long before its due time (a timer) is sent without waiting for the
    // sync of launches made since.
    if (rows.length > 0) await this.onDisk(rows.map((r) => r[0] as string));
    return rows;
  }

  /** A failed sync of the log stops the store (wal-sync.ts): it answers nothing it cannot know is on disk. */
  private refuseIfStopped(): void {
    if (this.walSync?.failed) throw this.walSync.failed;
  }

  /** Moves whenever another connection to the file commits (this connection's own commits leave it). */
  private dataVersion(): number {
    return (prepared(this.db, 'PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  /**
   * Resolves once what these actions' rows hold is on disk: after the sync of this store's commit that
   * wrote one of them, if that is still under way, or after a sync of the whole log when another
   * connection (another process sharing the file, the thread's twin) has committed since this one last
   * made sure: their commits may be unsynced too, and a sync of the log covers them, whoever appended them.
   */
  private async onDisk(ids: readonly string[]): Promise<void> {
    const w = this.walSync;
    if (!w) return;
    // Stopped by a failed sync: nothing it answers can be known to be on disk.
    if (w.failed) throw w.failed;
    const version = this.dataVersion();
    if (version !== this.othersSeen) {
      await w.sync();
      this.othersSeen = version;
      return;
    }
    if (!w.behind || this.unsynced.size === 0) return;
    for (const id of ids) {
      const n = this.unsynced.get(id);
      if (n !== undefined && !w.covers(n)) return w.sync();
    }
  }

  async nextDueAt(): Promise<number | null> {
    return nextDueAt(this.db);
  }

  async writeActions(writes: ActionWrite[]): Promise<boolean[]> {
    return this.writePrepared(writes.map(prepareWrite));
  }

  /** writeActions of writes prepared already (on the event loop, when this store runs on the SQLite thread). */
  async writePrepared(writes: PreparedWrite[]): Promise<boolean[]> {
    return this.syncedAfter(
      () => writeActions(this.db, writes, this.notificationsPerUser),
      writes.map((w) => writtenId(w)),
    );
  }

  /**
   * Runs a write transaction that commits without fsync, and resolves once a grouped sync of the log
   * has covered it (wal-sync.ts): launches and outcomes, the writes a busy node makes most.
   */
  private async syncedAfter<T>(write: () => T, ids: readonly string[]): Promise<T> {
    if (!this.walSync) return write();
    // Stopped by a failed sync: refused before anything is written.
    if (this.walSync.failed) throw this.walSync.failed;
    prepared(this.db, 'PRAGMA synchronous = NORMAL').run();
    let result: T;
    try {
      result = write();
      this.walSync.noteCommit();
    } finally {
      prepared(this.db, 'PRAGMA synchronous = FULL').run();
    }
    const n = this.walSync.commitCount;
    for (const id of ids) this.unsynced.set(id, n);
    await this.walSync.sync();
    // Covered now; a later write of the same action keeps its own, later number.
    for (const id of ids) if (this.unsynced.get(id) === n) this.unsynced.delete(id);
    return result;
  }

  async listTimeline(actionId: string, page?: TimelinePage): Promise<TimelineRow[]> {
    this.refuseIfStopped();
    return listTimeline(this.db, actionId, page);
  }

  async lastTimelineEntry(actionId: string, kind: TimelineKind): Promise<TimelineRow | undefined> {
    this.refuseIfStopped();
    return lastTimelineEntry(this.db, actionId, kind);
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

  async updateConnectorStatus(connectorId: string, change: StatusChange): Promise<{ status: ConnectorStatus; applied: boolean }> {
    return updateConnectorStatus(this.db, connectorId, change);
  }

  async insertCase(row: CaseRow): Promise<void> {
    insertCase(this.db, row);
  }

  async getCase(id: string): Promise<CaseRow | undefined> {
    return getCase(this.db, id);
  }

  async caseTitles(ids: readonly string[]): Promise<Map<string, string | null>> {
    return caseTitles(this.db, ids);
  }

  async listNotifications(user: string, opts?: NotificationQuery): Promise<NotificationRow[]> {
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

  async listApiKeysPage(page: SmallPage): Promise<{ rows: ApiKeyRow[]; more: boolean }> {
    return apiKeys.listApiKeysPage(this.db, page);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined> {
    return apiKeys.revokeApiKey(this.db, id, at);
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    apiKeys.touchApiKey(this.db, id, at);
  }

  async insertUiSession(row: UiSessionRow, now: number, maxPerKey: number): Promise<void> {
    apiKeys.insertUiSession(this.db, row, now, maxPerKey);
  }

  async findUiSession(id: string): Promise<UiSessionRow | undefined> {
    return apiKeys.findUiSession(this.db, id);
  }

  async deleteUiSession(id: string): Promise<void> {
    apiKeys.deleteUiSession(this.db, id);
  }

  // The operations of the resources below are the same plain delegations, one line each, so that this
  // class stays a table of contents of the store.

  // ---- bulk launches and schedules

  insertBulkLaunch = async (row: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }> => bulk.insertBulkLaunch(this.db, row);
  getBulkLaunch = async (id: string): Promise<BulkLaunchRow | undefined> => bulk.getBulkLaunch(this.db, id);
  insertBulkRows = async (bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean> =>
    bulk.insertBulkRows(this.db, bulkId, rows, lease);
  finishBulkParse = async (bulkId: string, lease: BulkLease): Promise<boolean> => bulk.finishBulkParse(this.db, bulkId, lease);
  listBulkRows = async (
    bulkId: string,
    afterRow: number,
    limit: number,
    status?: BulkRowStatusFilter,
    maxBytes?: number,
  ): Promise<BulkRowRecord[]> => bulk.listBulkRows(this.db, bulkId, afterRow, limit, status, maxBytes);
  recordBulkResults = async (bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean> =>
    bulk.recordBulkResults(this.db, bulkId, results, lease);
  finishBulkLaunch = async (bulkId: string, status: 'done' | 'failed', error: string | null, lease: BulkLease): Promise<boolean> =>
    bulk.finishBulkLaunch(this.db, bulkId, status, error, lease);
  claimStaleBulkLaunches = async (lease: BulkLease, limit: number): Promise<BulkLaunchRow[]> =>
    bulk.claimStaleBulkLaunches(this.db, lease, limit);
  actionIdsByLaunchKeys = async (keys: string[]): Promise<Map<string, string>> => bulk.actionIdsByLaunchKeys(this.db, keys);
  countReplayActions = async (filter: ReplayFilter): Promise<number> => replays.countReplayActions(this.db, filter);
  listReplayActions = async (filter: ReplayFilter, limit: number): Promise<ActionRecord[]> =>
    replays.listReplayActions(this.db, filter, limit);
  listReplayActionIds = async (filter: ReplayFilter, limit: number): Promise<string[]> =>
    replays.listReplayActionIds(this.db, filter, limit);
  takeReplayKey = async (r: ReplayKeyRequest): Promise<ReplayKeyTaken> => replays.takeReplayKey(this.db, r);
  renewReplayKey = async (key: string, owner: string, leaseUntil: number): Promise<boolean> =>
    replays.renewReplayKey(this.db, key, owner, leaseUntil);
  finishReplayKey = async (key: string, owner: string, report: string | null): Promise<void> =>
    replays.finishReplayKey(this.db, key, owner, report);
  countReplayByState = async (filter: ReplayFilter): Promise<ReplayStateCount[]> => replays.countReplayByState(this.db, filter);
  insertReplayRun = async (row: ReplayRunRow): Promise<void> => replays.insertReplayRun(this.db, row);
  recordReplayItems = async (
    runId: string,
    items: ReplayRunItem[],
    totals: { done: number; skipped: number; updatedAt: number },
  ): Promise<void> => replays.recordReplayItems(this.db, runId, items, totals);
  finishReplayRun = async (
    runId: string,
    end: { status: 'done' | 'failed'; remaining: number; error: string | null; finishedAt: number },
  ): Promise<void> => replays.finishReplayRun(this.db, runId, end);
  getReplayRun = async (id: string): Promise<ReplayRunRow | undefined> => replays.getReplayRun(this.db, id);
  listReplayRunItems = async (runId: string, afterSeq: number, limit: number): Promise<ReplayRunItem[]> =>
    replays.listReplayRunItems(this.db, runId, afterSeq, limit);
  touchReplayRun = async (runId: string, at: number): Promise<void> => replays.touchReplayRun(this.db, runId, at);
  listReplayRuns = async (q: { createdBy?: string; before?: string; limit: number }): Promise<ReplayRunRow[]> =>
    replays.listReplayRuns(this.db, q);
  pruneReplayRuns = async (movedBefore: number, limit: { runs: number; items: number }): Promise<number> =>
    replays.pruneReplayRuns(this.db, movedBefore, limit);
  insertReplaySelection = async (row: ReplaySelectionRow, keepPerUser: number): Promise<void> =>
    replays.insertReplaySelection(this.db, row, keepPerUser);
  getReplaySelection = async (id: string): Promise<ReplaySelectionRow | undefined> => replays.getReplaySelection(this.db, id);
  useReplaySelection = async (id: string, usedAt: number): Promise<boolean> => replays.useReplaySelection(this.db, id, usedAt);
  pruneReplaySelections = async (now: number, limit: number): Promise<number> => replays.pruneReplaySelections(this.db, now, limit);
  insertSchedule = async (row: ScheduleRow): Promise<void> => schedules.insertSchedule(this.db, row);
  getSchedule = async (idOrName: string): Promise<ScheduleRow | undefined> => schedules.getSchedule(this.db, idOrName);
  listSchedules = async (): Promise<ScheduleRow[]> => schedules.listSchedules(this.db);
  listSchedulesPage = async (page: NewestPage): Promise<{ rows: ScheduleRow[]; more: boolean }> =>
    schedules.listSchedulesPage(this.db, page);
  updateSchedule = async (row: ScheduleRow, expectedVersion: number): Promise<boolean> =>
    schedules.updateSchedule(this.db, row, expectedVersion);
  deleteSchedule = async (id: string, expectedVersion?: number): Promise<boolean> => schedules.deleteSchedule(this.db, id, expectedVersion);
  claimScheduleTicks = async (
    p: { now: number; owner: string; limit: number },
    plan: (s: ScheduleRow) => TickPlan,
  ): Promise<ScheduleTick[]> => schedules.claimScheduleTicks(this.db, p, plan);
  listOpenTicks = async (claimedBefore: number, limit: number): Promise<ScheduleTick[]> =>
    schedules.listOpenTicks(this.db, claimedBefore, limit);
  recordTick = async (scheduleId: string, tickAt: number, outcome: { launchedId: string } | { error: string }): Promise<void> =>
    schedules.recordTick(this.db, scheduleId, tickAt, outcome);
  listScheduleTicks = async (scheduleId: string, limit: number): Promise<ScheduleTick[]> =>
    schedules.listScheduleTicks(this.db, scheduleId, limit);
  nextScheduleAt = async (): Promise<number | null> => schedules.nextScheduleAt(this.db);

  // ---- people and queues (W1)
  insertUser = async (row: UserRow): Promise<void> => void people.insertUser(this.db, row);
  getUser = async (name: string): Promise<UserRow | undefined> => people.getUser(this.db, name);
  listUsers = async (): Promise<UserRow[]> => people.listUsers(this.db);
  listUsersPage = async (page: NamePage): Promise<{ rows: UserRow[]; more: boolean }> => people.listUsersPage(this.db, page);
  updateUser = async (row: UserRow): Promise<boolean> => people.updateUser(this.db, row);
  listTasksOfDisabledUsers = async (limit: number): Promise<ActionRecord[]> => people.listTasksOfDisabledUsers(this.db, limit);
  listOverdueToNotice = async (now: number, limit: number): Promise<ActionRecord[]> => people.listOverdueToNotice(this.db, now, limit);
  insertQueue = async (row: QueueRow): Promise<void> => void people.insertQueue(this.db, row);
  getQueue = async (name: string): Promise<QueueRow | undefined> => people.getQueue(this.db, name);
  findQueue = async (name: string): Promise<QueueRow | undefined> => people.findQueue(this.db, name);
  listQueues = async (): Promise<QueueRow[]> => people.listQueues(this.db);
  listQueuesPage = async (page: NamePage): Promise<{ rows: QueueRow[]; more: boolean }> => people.listQueuesPage(this.db, page);
  updateQueue = async (row: QueueRow, expectedRevision: number, releases: readonly PendingRelease[] = []): Promise<boolean> =>
    this.db.transaction(() => people.updateQueue(this.db, row, expectedRevision, releases)).immediate();
  listPendingReleases = async (atOrBefore: number, limit: number): Promise<PendingRelease[]> =>
    people.listPendingReleases(this.db, atOrBefore, limit);
  dropPendingRelease = async (r: Pick<PendingRelease, 'holder' | 'queue' | 'at'>): Promise<void> => people.dropPendingRelease(this.db, r);
  allocateTask = async (actionId: string, at: number): Promise<AllocationOutcome | undefined> => allocateTask(this.db, actionId, at);
  markNotificationRead = async (id: number, user: string, at: number): Promise<NotificationRow | undefined> =>
    markNotificationRead(this.db, id, user, at);
  markNotificationsRead = async (user: string, upTo: number, at: number): Promise<number> => markNotificationsRead(this.db, user, upTo, at);

  // ---- nodes and takeover (issue 11)
  heartbeatNode = async (n: NodeRow): Promise<void> => void nodes.heartbeatNode(this.db, n);
  listNodes = async (): Promise<NodeRow[]> => nodes.listNodes(this.db);
  takeOver = async (t: TakeOver): Promise<string[]> => nodes.takeOver(this.db, t);

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
  ): Promise<void> => void caseRuns.createCase(this.db, row, opts);
  getCaseByLaunchKey = async (key: string): Promise<{ row: CaseRow; launchHash: string | null } | undefined> =>
    caseRuns.getCaseByLaunchKey(this.db, key);
  countCasesUpTo = async (filter: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>, upTo: number): Promise<number> =>
    caseRuns.countCasesUpTo(this.db, filter, upTo);
  countActionsUpTo = async (filter: Omit<ActionFilter, 'limit' | 'before' | 'text' | 'textCaseIds'>, upTo: number): Promise<number> =>
    countActionsUpTo(this.db, filter, upTo);

  // ---- saved views
  addConnectorMinutes = async (rows: ConnectorMinute[]): Promise<void> => connectorMinutes.addConnectorMinutes(this.db, rows);
  deleteConnectorMinutesBefore = async (before: number, limit: number): Promise<number> =>
    connectorMinutes.deleteConnectorMinutesBefore(this.db, before, limit);
  readConnectorMinutes = async (connectorId: string, from: number, to: number, bucketMs: number): Promise<ConnectorMinute[]> =>
    connectorMinutes.readConnectorMinutes(this.db, connectorId, from, to, bucketMs);
  rateWindowsUsed = async (connectorId: string, windows: ReadonlyArray<{ perMs: number; start: number }>): Promise<number[]> =>
    connectorMinutes.rateWindowsUsed(this.db, connectorId, windows);
  insertSavedView = async (row: SavedViewRow, maxPerOwner: number): Promise<boolean> =>
    savedViews.insertSavedView(this.db, row, maxPerOwner);
  getSavedView = async (id: string): Promise<SavedViewRow | undefined> => savedViews.getSavedView(this.db, id);
  listSavedViews = async (owner: string, screen: SavedViewRow['screen'] | undefined, sharedLimit: number): Promise<SavedViewRow[]> =>
    savedViews.listSavedViews(this.db, owner, screen, sharedLimit);
  listSavedViewsNaming = async (screen: SavedViewRow['screen'], filter: string): Promise<SavedViewRow[]> =>
    savedViews.listSavedViewsNaming(this.db, screen, filter);
  updateSavedView = async (row: SavedViewRow, expectedRevision: number): Promise<boolean> =>
    savedViews.updateSavedView(this.db, row, expectedRevision);
  deleteSavedView = async (id: string, expectedRevision?: number): Promise<boolean> =>
    savedViews.deleteSavedView(this.db, id, expectedRevision);

  listCases = async (filter: CaseFilter): Promise<{ cases: CaseRow[]; more: boolean; resumeBefore?: string }> =>
    caseRuns.listCases(this.db, filter);
  updateCase = async (w: CaseWrite): Promise<boolean> => caseRuns.updateCase(this.db, w, this.notificationsPerUser);
  listCaseHistory = async (caseId: string, page: { before?: number; limit: number }): Promise<CaseHistoryRow[]> =>
    caseHistory.listCaseHistory(this.db, caseId, page);
  claimCaseEvents = async (p: CaseEventClaim): Promise<CaseOutboxRow[]> => caseRuns.claimCaseEvents(this.db, p);
  deleteCaseEvent = async (seq: number): Promise<void> => void caseRuns.deleteCaseEvent(this.db, seq);
  releaseCaseEvent = async (seq: number, leaseUntil: number, until: number): Promise<boolean> =>
    caseRuns.releaseCaseEvent(this.db, seq, leaseUntil, until);

  // ---- webhooks out and signed inbound (W4a)
  insertWebhookSubscription = async (row: W.WebhookSubscriptionRow): Promise<void> => void webhooks.insertWebhookSubscription(this.db, row);
  updateWebhookSubscription = async (row: W.WebhookSubscriptionRow, expectedRevision: number): Promise<boolean> =>
    webhooks.updateWebhookSubscription(this.db, row, expectedRevision);
  getWebhookSubscription = async (id: string): Promise<W.WebhookSubscriptionRow | undefined> =>
    webhooks.getWebhookSubscription(this.db, id);
  listWebhookSubscriptions = async (): Promise<W.WebhookSubscriptionRow[]> => webhooks.listWebhookSubscriptions(this.db);
  listWebhookSubscriptionsPage = async (page: SmallPage): Promise<{ rows: W.WebhookSubscriptionRow[]; more: boolean }> =>
    webhooks.listWebhookSubscriptionsPage(this.db, page);
  deleteWebhookSubscription = async (id: string, expectedRevision?: number): Promise<boolean> =>
    webhooks.deleteWebhookSubscription(this.db, id, expectedRevision);
  insertWebhookEvents = async (events: W.WebhookEventRow[]): Promise<void> => void webhooks.insertWebhookEvents(this.db, events);
  claimWebhookDeliveries = async (p: W.WebhookClaimParams): Promise<W.WebhookDeliveryRow[]> => webhooks.claimWebhookDeliveries(this.db, p);
  finishWebhookAttempts = async (results: W.WebhookAttemptResult[]): Promise<boolean[]> =>
    webhooks.finishWebhookAttempts(this.db, results, this.notificationsPerUser);
  listWebhookDeliveries = async (
    subscriptionId: string,
    limit: number,
    before?: string,
  ): Promise<Array<W.WebhookDeliveryRow & { attemptList: W.WebhookAttemptRow[] }>> =>
    webhooks.listWebhookDeliveries(this.db, subscriptionId, limit, before);
  retryWebhookDelivery = async (subscriptionId: string, deliveryId: string, now: number): Promise<W.WebhookDeliveryRow | undefined> =>
    webhooks.retryWebhookDelivery(this.db, subscriptionId, deliveryId, now);
  rememberInboundId = async (id: string, until: number, now: number): Promise<boolean> =>
    webhooks.rememberInboundId(this.db, id, until, now);
  forgetInboundId = async (id: string): Promise<void> => webhooks.forgetInboundId(this.db, id);

  // ---- held backlogs (I11b)
  latestHeldDueAt = async (actionTypeIds: readonly string[]): Promise<number | null> => heldBacklog.latestHeldDueAt(this.db, actionTypeIds);

  // ---- integrated queues (I13b)
  writeIntegration = async (w: IntegrationWrite): Promise<boolean> =>
    integrationLog.writeIntegration(this.db, w, this.notificationsPerUser);
  listIntegrationLog = async (taskId: string): Promise<IntegrationLogEntry[]> => integrationLog.listIntegrationLog(this.db, taskId);
  integrationTaskOf = async (actionId: string): Promise<string | undefined> => integrationLog.integrationTaskOf(this.db, actionId);
  listUnsettledIntegrationActions = async (limit: number): Promise<string[]> =>
    integrationLog.listUnsettledIntegrationActions(this.db, limit);
  listPendingSubmissions = async (limit: number, actionId?: string): Promise<PendingSubmission[]> =>
    integrationLog.listPendingSubmissions(this.db, limit, actionId);
  dropPendingSubmission = async (actionId: string, seen?: Pick<PendingSubmission, 'queue' | 'at'>): Promise<void> =>
    integrationLog.dropPendingSubmission(this.db, actionId, seen);
}
