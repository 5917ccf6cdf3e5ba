// The Store interface: everything the engine and the API persist. Two honest implementations
// (sqlite/ and postgres/) pass one conformance suite (test/store-conformance/).

import type { ActionRecord, TimelineEntry, TimelineKind } from '../lifecycle/action.ts';
import type { Effect } from '../lifecycle/transition.ts';
import type { Phase, Reason, Resolution, State } from '../lifecycle/states.ts';
import type { ConnectorStatus, StatusChange } from '../connectors/circuit.ts';
import type {
  BulkLaunchRow,
  BulkLease,
  BulkRowRecord,
  BulkRowResult,
  BulkRowStatusFilter,
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
} from './bulk-schedule-types.ts';
import type { ProcessDefinition } from '../processes/definition.ts';
import type { CaseEvent, StepRun } from '../processes/runner.ts';
import type { NewCaseHistoryEntry } from '../processes/case-history.ts';
import type {
  WebhookAttemptResult,
  WebhookAttemptRow,
  WebhookClaimParams,
  WebhookDeliveryRow,
  WebhookEventRow,
  WebhookSubscriptionRow,
} from '../webhooks/rows.ts';

import type { ExchangeOutcome, IntegrationLogEntry } from '../integrated-queues/rules.ts';

import type { UserRow, QueueRow, AllocationOutcome, CaseFilter, CaseEventClaim, CaseOutboxRow } from './work-types.ts';
export type { UserRow, QueueRow, AllocationOutcome, CaseFilter, CaseEventClaim, CaseOutboxRow } from './work-types.ts';

export type ConfigKind = 'connector' | 'action_type' | 'process';

/** A configuration document (connector or action type) as stored; `doc` holds secrets encrypted. */
export interface ConfigRow {
  id: string;
  name: string;
  doc: Record<string, unknown>;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** Which page of a list read newest first (listConfigPage, listSchedulesPage). */
export interface NewestPage {
  /** Only rows whose id sorts below this one (the last of the page before). */
  before?: string;
  limit: number;
  maxBytes: number;
}

/** A page of a list whose rows are small (API keys, webhook subscriptions): newest first, no byte cut. */
export type SmallPage = Omit<NewestPage, 'maxBytes'>;

/** A page of a list keyed by name (users, queues), by name: only names that sort after `after`. */
export interface NamePage {
  after?: string;
  limit: number;
  /** Where the rows can be large (a queue of 1,000 members): cut after the row that crosses it. */
  maxBytes?: number;
}

/** One configuration write of several made together: an insert, or an update guarded by the revision read. */
/** A new configuration document (expectedRevision null), or an update guarded by the revision it was computed from. */
export interface DocumentChange {
  kind: ConfigKind;
  row: ConfigRow;
  expectedRevision: number | null;
}

/**
 * One write of a configuration import: a document, user, queue, webhook subscription or schedule. Each
 * is a new one (expectedRevision null) or an update guarded by the revision (a schedule's version) it
 * was computed from (a user, which has none, by the `updatedAt` it was read with).
 */
export type ConfigChange =
  | DocumentChange
  | { kind: 'user'; row: UserRow; expectedRevision: number | null }
  | { kind: 'queue'; row: QueueRow; expectedRevision: number | null; releases?: readonly PendingRelease[] }
  | { kind: 'webhook'; row: WebhookSubscriptionRow; expectedRevision: number | null }
  | { kind: 'schedule'; row: ScheduleRow; expectedRevision: number | null };

export interface NewAction {
  action: ActionRecord;
  timeline: TimelineEntry[];
  /** The launch request's Idempotency-Key and a hash of its body, to answer repeats. */
  launchKey?: string;
  launchHash?: string;
  /** Webhook events of the launch, put in the outbox in the same transaction. */
  events?: WebhookEventRow[];
  /**
   * People told of the launch in its transaction (GET /v1/notifications), bounded as every notification
   * is: a task given to someone as it is added to a case. Of the action, its case, at its updatedAt.
   */
  notices?: LaunchNotice[];
}

/** A notice of a launch: the lifecycle's `notify` effect, for an action being inserted rather than written. */
export type LaunchNotice = Omit<Extract<Effect, { type: 'notify' }>, 'type'>;

/** A version-guarded change of a case (updateCase). */
export interface CaseWrite {
  id: string;
  expectedVersion: number;
  at: number;
  title?: string | null;
  owner?: string | null;
  /** The case's own queue, by name; null clears it. */
  queue?: string | null;
  status?: 'open' | 'closed';
  escalated?: boolean;
  steps?: StepRun[];
  closedAt?: number | null;
  /** When the case stopped at a failed step (processes/case-stop.ts); null: it is not stopped. */
  stoppedAt?: number | null;
  /**
   * Notifications of the change (the case stopped: its owner is told), inserted in this write's
   * transaction when it applies, within the notification bound.
   */
  notices?: CaseNotice[];
  /** Shallow-merged into the stored data (as action outputs are), so concurrent merges are not lost. */
  dataPatch?: Record<string, unknown>;
  /** The outbox row this write applies: deleted in the same transaction. */
  appliedEvent?: number;
  /**
   * The actions of the steps this write starts, inserted in its transaction: a write that loses the
   * version race (a PATCH or a close came first) launches nothing. A taken launch key is a ConflictError.
   */
  launches?: NewAction[];
  /**
   * Events for the case's outbox, written in this write's transaction: work the write leaves to be done
   * after it (a task to submit to its queue's provider), done by the case worker even when this node
   * dies right after the write.
   */
  followUps?: CaseEvent[];
  /** Webhook events of the change (the case closed), put in the outbox in this write's transaction when it applies. */
  events?: WebhookEventRow[];
  /** The case history entries of the change (processes/case-history.ts), written in its transaction when it applies. */
  history?: NewCaseHistoryEntry[];
  /**
   * An operator's skip of a step with an action: written only while the case's outbox holds no event of
   * that action (it was not retried since the step failed), checked under the case's lock in the
   * write's transaction; otherwise an InvalidStateError (reopenedActionRefusal) and nothing is written.
   */
  skippedAction?: { step: string; actionId: string };
}

/** A case history entry as stored: its place in the case's history (`seq`, ascending in write order). */
export interface CaseHistoryRow extends NewCaseHistoryEntry {
  seq: number;
  caseId: string;
}

/** One guarded write of an action: applied only if the stored version is still `expectedVersion`. */
export interface ActionWrite {
  action: ActionRecord;
  expectedVersion: number;
  /**
   * The record the change was computed from (at `expectedVersion`), when the writer has it: a store
   * may then write only the columns that differ (SQLite rewrites every index whose column is SET).
   */
  previous?: ActionRecord;
  timeline: TimelineEntry[];
  effects: Effect[];
  /** Webhook events of the change, put in the outbox in the same transaction when the write applies. */
  events?: WebhookEventRow[];
  /**
   * An operator's retry of a case's action: written only while no step of its case that is this
   * action's is skipped, checked under the case's lock in the write's transaction (else not applied).
   */
  unlessStepSkipped?: boolean;
}

/** A saved view (saved-views/): a screen's query by name, its owner's or shared. */
export interface SavedViewRow {
  id: string;
  /** The user the creating key acted as (api/user.ts). */
  owner: string;
  screen: 'work' | 'cases';
  name: string;
  /** The name as names are compared for uniqueness per owner and screen (lower-cased). */
  nameKey: string;
  query: string;
  shared: boolean;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export interface ActionFilter {
  state?: State;
  phase?: Phase;
  reason?: string;
  resolution?: string;
  actionTypeId?: string;
  caseId?: string;
  queue?: string;
  assignee?: string;
  /** Only actions nobody is assigned to (a queue's unclaimed tasks). */
  unassigned?: boolean;
  escalated?: boolean;
  externalReference?: string;
  /** Any of these action types (a connector's); an empty list matches nothing. */
  actionTypeIds?: string[];
  /** Case-insensitive text in the input JSON or the external reference: a scan, no index helps. */
  text?: string;
  /** With `text`: the cases whose title or data hold it; their actions match it too. */
  textCaseIds?: string[];
  /** Only To Do and In Progress actions whose work was due before this time (epoch ms): `due=overdue` at now. */
  overdueAt?: number;
  /** Only actions whose work is due before this time (epoch ms); those with no due time never match. */
  dueBefore?: number;
  /** Actions created before this id (ids are time-ordered), for paging newest first. */
  before?: string;
  /**
   * `due`: only actions with a work due time, the earliest due first (then by id), paged with `afterDue`;
   * newest first when absent.
   */
  order?: 'due';
  /** With `order: 'due'`: the actions after this one in that order (its due time and id: the page before's last). */
  afterDue?: { at: number; id: string };
  /** With `order: 'due'`: only actions up to this one in that order (a window of the embedded store's text scan). */
  dueUpTo?: { at: number; id: string };
  limit: number;
}

/** The list's filter less its paging and the state words: the work list's counts (each count is one). */
export type CountsFilter = Omit<ActionFilter, 'limit' | 'before' | 'state' | 'phase' | 'reason' | 'resolution'>;

/** The work list's counts (GET /v1/actions/counts, store/action-counts.ts). */
export interface ActionCounts {
  states: Record<State, number>;
  phases: Record<Phase, number>;
  reasons: Record<Reason, number>;
  resolutions: Record<Resolution, number>;
  /** A text search stopped at its time budget before reading every action: each number counts those found so far. */
  more: boolean;
}

export interface TimelinePage {
  afterSeq?: number;
  beforeSeq?: number;
  /** Newest first (a long timeline's latest entries without reading the rest). */
  newestFirst?: boolean;
  kind?: TimelineKind;
  /** Only one actor's entries (`user:olga`, `integration`): a caller's own, however many others wrote since. */
  actor?: string;
  limit?: number;
}

export interface TimelineRow extends TimelineEntry {
  seq: number;
  actionId: string;
}

export interface CaseRow {
  id: string;
  data: Record<string, unknown>;
  owner: string | null;
  createdAt: number;
  updatedAt: number;
  /** The case's own queue, by name (a queue's name is its identity); absent or null: none. */
  queue?: string | null;
  // Cases and processes: always read back; left out on insert, a plain open case.
  /** The process's id; null for a plain case. */
  process?: string | null;
  /** The process definition as the case started it. */
  definition?: ProcessDefinition | null;
  title?: string | null;
  status?: 'open' | 'closed';
  escalated?: boolean;
  steps?: StepRun[] | null;
  /** Guards the case's own writes (the case worker's, PATCH, close). */
  version?: number;
  closedAt?: number | null;
  /** When the case stopped at a failed step (processes/case-stop.ts); absent or null: not stopped. */
  stoppedAt?: number | null;
}

/** A notification about a case as a whole (not one of its actions), written with the case's change. */
export interface CaseNotice {
  user: string;
  kind: string;
  message: string;
  at: number;
}

export interface NotificationRow {
  id: number;
  user: string;
  kind: string;
  message: string;
  actionId: string | null;
  caseId: string | null;
  at: number;
  /** When its user marked it read; absent while unread. */
  readAt?: number;
}

/** Where a key came from: the API (absent), the CALLOUT_ADMIN_KEY setting, or generated on first start. */
export type ApiKeyOrigin = 'env' | 'generated';

export interface NotificationQuery {
  unreadOnly?: boolean;
  /** @default 200 */
  limit?: number;
  /** Only notifications with an id below this one (the next page). */
  before?: number;
}

export interface ApiKeyRow {
  id: string;
  /** Unique among keys not revoked. */
  name: string;
  keyHash: string;
  roles: string[];
  createdAt: number;
  origin?: ApiKeyOrigin;
  /** Set once; a revoked key is refused by every node from then on. */
  revokedAt?: number;
  /** When the key was last accepted, to a minute or so (see Callout.authenticate). */
  lastUsedAt?: number;
  /** The user the key acts as; absent: the key acts as its own name. */
  user?: string;
}

/** A web UI session: the hash of its cookie's random id, the key it was opened with, when it ends. */
export interface UiSessionRow {
  id: string;
  keyHash: string;
  expiresAt: number;
}

export interface ClaimParams {
  now: number;
  owner: string;
  /** Claimed rows become due again at this time unless written first: the lease. */
  leaseUntil: number;
  limit: number;
  /**
   * Claims what is due by this time (default `now`): the engine claims a little ahead of due times
   * and sends each when it comes, so a steady stream of timers costs a claim per batch, not per few.
   */
  dueBy?: number;
  /**
   * Told the due time and phase each claimed action had before the claim replaced them, with its
   * index in the result: for timer lateness, for when to send an action claimed ahead, and to give
   * one back as it was when a person changes it before it is sent.
   */
  dueTimes?: (dueAt: number, index: number, phase: Phase | null) => void;
}

export interface RatePermitRequest {
  connectorId: string;
  limits: ReadonlyArray<{ limit: number; perMs: number }>;
  now: number;
  /** Permits wanted now (one per attempt about to be sent). */
  want: number;
}

export interface RatePermitGrant {
  granted: number;
  /** When fewer were granted than wanted: when the exhausted windows end. */
  retryAt: number | null;
}

/**
 * One connector's attempts over one minute, or over a bucket of minutes summed (connector-stats.ts):
 * answered 2xx, failed by kind, and latency (sum, max, and a count per band of LATENCY_BANDS_MS).
 */
export interface ConnectorMinute {
  connectorId: string;
  /** The minute's start (or the bucket's), epoch ms. */
  minute: number;
  ok: number;
  connection: number;
  timeout: number;
  http4xx: number;
  http5xx: number;
  latencySumMs: number;
  latencyMaxMs: number;
  /** Attempts under 100 ms, under 300 ms, under 1 s, under 3 s, and 3 s or more. */
  bands: number[];
}

export interface ConcurrencyRequest {
  connectorId: string;
  max: number;
  actionIds: string[];
  now: number;
  /** Slots expire then unless released: a dead node's slots free themselves. */
  until: number;
}

/** What a store can do, for callers that adapt to it (rather than to `kind`, which is a label for logs and /health). */
export interface StoreCapabilities {
  /** Writers that can commit at once usefully: the engine's group commit runs this many. */
  readonly concurrentWriters: number;
  /**
   * Whether claims are worth making ahead of room to send: a round trip to overlap with sending, or a
   * cost per row that falls with the batch. The engine then claims the next batch while one is being
   * sent, and lets more outcomes wait for their commit (bigger batches).
   */
  readonly claimAhead: boolean;
  /** Whether a commit on one node wakes the engines of the others (`listen`); otherwise they poll. */
  readonly notifiesOtherNodes: boolean;
  /** The folder holding the store's files when it is local to this machine (a generated secret key may live beside it); null when the store is a server. */
  readonly localDataDir: string | null;
}

/** One life of one engine process, with its heartbeat (see src/engine/nodes.ts). */
export interface NodeRow {
  /** The lease owner its claims carry. */
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

/**
 * What the timeline says of an action taken back from a node that stopped: the attempt that node had
 * in flight was never recorded, and the resend that follows would otherwise look like the first.
 */
export const TAKEN_BACK_MESSAGE =
  'Taken back from a node that stopped; it goes again with the same Idempotency-Key (a request that node had in flight may have reached the system)';

export interface TakeOver {
  /** Nodes found dead: their claims are released and their rows removed. */
  nodeIds: string[];
  /** Also release claims whose owner has no node row (made before nodes kept heartbeats). */
  orphans: boolean;
  now: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  /** Applies the migrations this version has and the store lacks; answers their names. A store a newer version migrated is refused. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
  /**
   * Calls `onWork` when any node commits an action that is due soon (a launch, a retry, a timeout),
   * with the earliest due time of the commit (none: due now), so engines need not wait for their next
   * poll; resolves to an unsubscribe. Optional: the embedded store has one process and nothing to listen to.
   */
  listen?(onWork: (dueAt?: number) => void): Promise<() => Promise<void>>;

  /** Resolves when the store answers a query (cheap: for /health), rejects otherwise. */
  ping(): Promise<void>;

  /** Returns the stored value, or stores `value` if none and returns it (first writer wins across nodes). */
  ensureSetting(key: string, value: string): Promise<string>;

  insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void>;
  /** Guarded by revision; false when another writer got there first. */
  updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean>;
  /** All in one transaction or none: a taken name, a changed revision or a missing user throws ConflictError and writes nothing. */
  writeConfigs(changes: ConfigChange[]): Promise<void>;
  getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined>;
  /** Every document of a kind, by name (the engine's registry, config export and import read them all). */
  listConfig(kind: ConfigKind): Promise<ConfigRow[]>;
  /**
   * A page of a kind's documents, newest first (ids below `before`), cut after the document that
   * crosses `maxBytes` of documents (at least one is kept); `more` when a page may follow.
   */
  listConfigPage(kind: ConfigKind, page: NewestPage): Promise<{ rows: ConfigRow[]; more: boolean }>;
  /** A page of a kind's names, newest first, none of their documents read (a picker's). */
  configNamesPage(kind: ConfigKind, page: SmallPage): Promise<{ rows: Array<{ id: string; name: string }>; more: boolean }>;
  /** The names of a kind's documents with these ids, none of their documents read; an id of none is left out. */
  configNames(kind: ConfigKind, ids: readonly string[]): Promise<Array<{ id: string; name: string }>>;

  insertActions(items: NewAction[]): Promise<void>;
  getAction(id: string): Promise<ActionRecord | undefined>;
  /**
   * The node holding the action's claim (sending it, or about to send or hold it again), or null; and
   * the record's version as it is now (a record read before may be of a claim since ended).
   */
  actionLease(id: string): Promise<{ owner: string | null; version: number } | undefined>;
  getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined>;
  listActions(filter: ActionFilter): Promise<ActionRecord[]>;
  /**
   * A page of listActions whose input and output text add up to at most `maxBytes` (the action that
   * crosses it included; at least one), so a page of large actions stays bounded. `more` when the
   * page filled its limit or was cut; `resumeBefore` when a text search stopped at its time budget
   * before the table's end (the embedded store reads it in windows, on the event loop).
   */
  listActionsPage(filter: ActionFilter, maxBytes: number): Promise<{ actions: ActionRecord[]; more: boolean; resumeBefore?: string }>;
  countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number>;
  /**
   * The work list's counts: countActions per state, and per phase, reason and resolution within
   * waiting, todo and closed. `more` when a text search stopped at its time budget before the table's
   * end (the embedded store reads it in windows, on the event loop, as listActionsPage does).
   */
  countActionsByState(filter: CountsFilter): Promise<ActionCounts>;
  /** countActions that stops counting at `upTo`: bounded however many match. */
  countActionsUpTo(filter: Omit<ActionFilter, 'limit' | 'before' | 'text' | 'textCaseIds'>, upTo: number): Promise<number>;
  /** Actions held behind rate limits (waiting, phase throttled), per action type id: one query for the dashboard. */
  countThrottledByActionType(): Promise<Map<string, number>>;
  /** Open actions of a type waiting for a retry (scheduled, or held by a rate limit or open circuit after an attempt), for live retry-policy changes. */
  listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]>;

  /** Leases up to `limit` due actions: phase becomes `sending` (unless awaiting a callback), due at the lease end. */
  claimDue(p: ClaimParams): Promise<ActionRecord[]>;
  nextDueAt(): Promise<number | null>;
  /** Applies guarded writes in one transaction; returns, per write, whether it was applied. */
  writeActions(writes: ActionWrite[]): Promise<boolean[]>;
  /** An action's timeline in the order written; a page of it with `page` (between `afterSeq` and `beforeSeq`, of one kind, newest first when asked, at most `limit`). */
  listTimeline(actionId: string, page?: TimelinePage): Promise<TimelineRow[]>;
  /** The newest entry of one kind on an action's timeline (read from the end, not the whole timeline). */
  lastTimelineEntry(actionId: string, kind: TimelineKind): Promise<TimelineRow | undefined>;

  /** Takes permits from every fixed window of a connector's rate limits at once (all windows or none). */
  acquireRatePermits(r: RatePermitRequest): Promise<RatePermitGrant>;
  /** Takes in-flight slots for the given actions up to `max`; returns the ids that got one. */
  acquireConcurrency(r: ConcurrencyRequest): Promise<string[]>;
  releaseConcurrency(connectorId: string, actionIds: string[]): Promise<void>;

  listConnectorStatus(): Promise<ConnectorStatus[]>;
  /** Adds each row's counts to its (connector, minute) row, one transaction; several nodes each add their own. */
  addConnectorMinutes(rows: ConnectorMinute[]): Promise<void>;
  /** Deletes up to `limit` rows of minutes before `before`; answers how many it deleted. */
  deleteConnectorMinutesBefore(before: number, limit: number): Promise<number>;
  /** A connector's minutes in [from, to), summed per bucket of `bucketMs` counted from `from`: the buckets that have any. */
  readConnectorMinutes(connectorId: string, from: number, to: number, bucketMs: number): Promise<ConnectorMinute[]>;
  /** Permits taken from each of a connector's rate-limit windows (its length and start): 0 where none were. */
  rateWindowsUsed(connectorId: string, windows: ReadonlyArray<{ perMs: number; start: number }>): Promise<number[]>;
  /** Read-modify-write of one connector's status in a transaction, one node at a time (circuit.ts changeStatus). */
  updateConnectorStatus(connectorId: string, change: StatusChange): Promise<{ status: ConnectorStatus; applied: boolean }>;

  insertCase(row: CaseRow): Promise<void>;
  getCase(id: string): Promise<CaseRow | undefined>;
  /**
   * The titles of these cases (null: untitled), in one query by primary key, for a page of actions to
   * name their cases; an id of no case is left out.
   */
  caseTitles(ids: readonly string[]): Promise<Map<string, string | null>>;
  /** Newest first: at most `limit` (default 200), with ids below `before` when given. */
  listNotifications(user: string, opts?: NotificationQuery): Promise<NotificationRow[]>;

  /** Throws a ConflictError naming the field when the name is taken by a key not revoked, or the hash by any key. */
  insertApiKey(row: ApiKeyRow): Promise<void>;
  /** The key with this hash, revoked or not (the caller refuses revoked keys). */
  findApiKey(keyHash: string): Promise<ApiKeyRow | undefined>;
  /** Every key, revoked ones too, oldest first. */
  listApiKeys(): Promise<ApiKeyRow[]>;
  /** A page of keys, revoked ones too, newest first. */
  listApiKeysPage(page: SmallPage): Promise<{ rows: ApiKeyRow[]; more: boolean }>;
  /** Revokes the key (a second call keeps the first time); undefined when there is no such key. */
  revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined>;
  touchApiKey(id: string, at: number): Promise<void>;
  /**
   * Opens a UI session, dropping those that ended before `now` (sign-in is rare; nothing else sweeps)
   * and, beyond the newest `maxPerKey` of the same key, the oldest (the new one counts).
   */
  insertUiSession(row: UiSessionRow, now: number, maxPerKey: number): Promise<void>;
  /** The session with this id, ended or not (the caller compares expiresAt). */
  findUiSession(id: string): Promise<UiSessionRow | undefined>;
  /** Ends the session; nothing happens when there is no such session. */
  deleteUiSession(id: string): Promise<void>;

  // ---- bulk launches and schedules
  /** Inserts a bulk launch; when its idempotency key is taken, returns that bulk launch instead (created: false). */
  insertBulkLaunch(row: BulkLaunchRow): Promise<{ created: boolean; row: BulkLaunchRow }>;
  getBulkLaunch(id: string): Promise<BulkLaunchRow | undefined>;
  /** Adds parsed rows (pending or refused) while the lease holder is still parsing; false (nothing written) otherwise. */
  insertBulkRows(bulkId: string, rows: BulkRowRecord[], lease: BulkLease): Promise<boolean>;
  /** Every row is in: the run goes from `parsing` to `running`. */
  finishBulkParse(bulkId: string, lease: BulkLease): Promise<boolean>;
  /**
   * Rows after `afterRow` in row order: all, the pending ones (the runner's, with their inputs), or the
   * finished ones (the report's: launched or refused, which hold no input). A page ends once its inputs
   * pass `maxBytes` (at least one row), so a chunk of large rows is not read whole.
   */
  listBulkRows(bulkId: string, afterRow: number, limit: number, status?: BulkRowStatusFilter, maxBytes?: number): Promise<BulkRowRecord[]>;
  /** Records outcomes of pending rows and counts them, renewing the lease; false (nothing written) when the lease is lost. */
  recordBulkResults(bulkId: string, results: BulkRowResult[], lease: BulkLease): Promise<boolean>;
  finishBulkLaunch(bulkId: string, status: 'done' | 'failed', error: string | null, lease: BulkLease): Promise<boolean>;
  /** Leases runs whose node stopped (lease over) to `lease.owner`; runs that were still parsing fail. */
  claimStaleBulkLaunches(lease: BulkLease, limit: number): Promise<BulkLaunchRow[]>;
  /** The ids of the actions launched with these launch keys (keys without an action are absent). */
  actionIdsByLaunchKeys(keys: string[]): Promise<Map<string, string>>;
  countReplayActions(filter: ReplayFilter): Promise<number>;
  /** Oldest first. */
  listReplayActions(filter: ReplayFilter, limit: number): Promise<ActionRecord[]>;
  /** The ids only, oldest first: a run of 10,000 actions of 256 KB each would otherwise hold 2.5 GB. */
  listReplayActionIds(filter: ReplayFilter, limit: number): Promise<string[]>;
  /** Takes a bulk replay's Idempotency-Key for a run: new, or held by a run whose lease is over (same request). */
  takeReplayKey(r: ReplayKeyRequest): Promise<ReplayKeyTaken>;
  /** Moves the run's hold on its key on; false when the run no longer holds it (a repeat took it over). */
  renewReplayKey(key: string, owner: string, leaseUntil: number): Promise<boolean>;
  /** The run ended: its report is kept for repeats; null frees the key (the run failed, it may run again). Only while `owner` holds it. */
  finishReplayKey(key: string, owner: string, report: string | null): Promise<void>;
  /** The filter's actions counted per state and reason (or resolution) in one grouped query: a row per group, not per action. */
  countReplayByState(filter: ReplayFilter): Promise<ReplayStateCount[]>;
  insertReplayRun(row: ReplayRunRow): Promise<void>;
  /** Adds a batch of a run's items and sets its totals so far. */
  recordReplayItems(runId: string, items: ReplayRunItem[], totals: { done: number; skipped: number; updatedAt: number }): Promise<void>;
  finishReplayRun(
    runId: string,
    end: { status: 'done' | 'failed'; remaining: number; error: string | null; finishedAt: number },
  ): Promise<void>;
  getReplayRun(id: string): Promise<ReplayRunRow | undefined>;
  /** A page of a run's items after item `afterSeq`, in order. */
  listReplayRunItems(runId: string, afterSeq: number, limit: number): Promise<ReplayRunItem[]>;
  /** A running run still moves: its updated_at goes on to `at` (never back), so a read does not take it for stopped. */
  touchReplayRun(runId: string, at: number): Promise<void>;
  /** Runs newest first (by id), without items: one person's (`createdBy`) or everyone's, those older than `before` (an id). */
  listReplayRuns(q: { createdBy?: string; before?: string; limit: number }): Promise<ReplayRunRow[]>;
  /**
   * Deletes runs that have not moved since `movedBefore`, with their items, oldest first: at most `limit.runs`
   * runs and `limit.items` items a call, the items a bounded statement at a time; a run goes once its items have.
   * Answers the runs deleted.
   */
  pruneReplayRuns(movedBefore: number, limit: { runs: number; items: number }): Promise<number>;
  /** Keeps a preview's selection; then drops its operator's oldest beyond `keepPerUser`, so previews cannot fill the disk. */
  insertReplaySelection(row: ReplaySelectionRow, keepPerUser: number): Promise<void>;
  getReplaySelection(id: string): Promise<ReplaySelectionRow | undefined>;
  /** Marks a selection used; false when a run already took it (it runs once). */
  useReplaySelection(id: string, usedAt: number): Promise<boolean>;
  /** Deletes up to `limit` selections expired at `now`. */
  pruneReplaySelections(now: number, limit: number): Promise<number>;
  /** Throws a ConflictError when the name is taken. */
  insertSchedule(row: ScheduleRow): Promise<void>;
  getSchedule(idOrName: string): Promise<ScheduleRow | undefined>;
  /** Every schedule, by name (the configuration export and import read them all). */
  listSchedules(): Promise<ScheduleRow[]>;
  /** A page of schedules newest first, cut after the one whose launch crosses `maxBytes` (as listConfigPage). */
  listSchedulesPage(page: NewestPage): Promise<{ rows: ScheduleRow[]; more: boolean }>;
  /** Guarded by version; false when another writer got there first. */
  updateSchedule(row: ScheduleRow, expectedVersion: number): Promise<boolean>;
  /** Deleted; with `expectedVersion`, only while the row is still at that version (a guarded delete). */
  deleteSchedule(id: string, expectedVersion?: number): Promise<boolean>;
  /**
   * In one transaction: for each due schedule (not paused, next run at or before `now`), asks `plan`
   * for its tick and next run, inserts the tick under its unique key and advances the schedule.
   * Returns the ticks this call inserted: a tick another node claimed first is not returned.
   */
  claimScheduleTicks(p: { now: number; owner: string; limit: number }, plan: (s: ScheduleRow) => TickPlan): Promise<ScheduleTick[]>;
  /** Claimed ticks with neither a launch nor an error, claimed at or before `claimedBefore`. */
  listOpenTicks(claimedBefore: number, limit: number): Promise<ScheduleTick[]>;
  recordTick(scheduleId: string, tickAt: number, outcome: { launchedId: string } | { error: string }): Promise<void>;
  /** Newest first. */
  listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]>;
  /** The earliest next run of a schedule not paused. */
  nextScheduleAt(): Promise<number | null>;
  // ---- people and queues (W1)
  /** Throws a ConflictError naming `name` when the user exists. */
  insertUser(row: UserRow): Promise<void>;
  getUser(name: string): Promise<UserRow | undefined>;
  listUsers(): Promise<UserRow[]>;
  /** A page of users by name. */
  listUsersPage(page: NamePage): Promise<{ rows: UserRow[]; more: boolean }>;
  /** false when there is no such user. */
  updateUser(row: UserRow): Promise<boolean>;
  /** Up to `limit` open tasks on a queue (To Do, In Progress) still with a disabled user, oldest first; one indexed query. */
  listTasksOfDisabledUsers(limit: number): Promise<ActionRecord[]>;
  /**
   * Up to `limit` open tasks (To Do, In Progress) whose work due time is at or before `now` and whose
   * person was not told (overdueNoticed false), earliest due first; one read of a partial index.
   */
  listOverdueToNotice(now: number, limit: number): Promise<ActionRecord[]>;
  /** Throws a ConflictError naming `name` when the queue exists. */
  insertQueue(row: QueueRow): Promise<void>;
  getQueue(name: string): Promise<QueueRow | undefined>;
  /**
   * The queue a person names (a route's path): its exact name, else the one equal ignoring case, folded
   * as migration 018's unique index folds (lower()); of lookalikes kept from before it, the oldest.
   */
  findQueue(name: string): Promise<QueueRow | undefined>;
  listQueues(): Promise<QueueRow[]>;
  /** A page of queues by name, cut after the one whose document crosses `maxBytes`. */
  listQueuesPage(page: NamePage): Promise<{ rows: QueueRow[]; more: boolean }>;
  /**
   * Guarded by revision; false when another writer got there first. `releases`: the members it takes
   * off, recorded in the same transaction (one already pending for a holder and queue is replaced).
   */
  updateQueue(row: QueueRow, expectedRevision: number, releases?: readonly PendingRelease[]): Promise<boolean>;
  /** Releases still pending recorded at or before `atOrBefore` (not fresh: their node may have stopped), oldest first. */
  listPendingReleases(atOrBefore: number, limit: number): Promise<PendingRelease[]>;
  /** The release is done with (its last page moved, or the holder is back on the queue); only while it is still the one read (its `at`). */
  dropPendingRelease(r: Pick<PendingRelease, 'holder' | 'queue' | 'at'>): Promise<void>;
  /**
   * Allocates a To Do, unassigned task by its queue's rules in one transaction (as writeActions does
   * for actions landing on a queue); for callers that create tasks themselves (manual steps).
   * Undefined when the action is not such a task.
   */
  allocateTask(actionId: string, at: number): Promise<AllocationOutcome | undefined>;
  /** Marks one of the user's notifications read (the first time is kept); undefined when it is not theirs. */
  markNotificationRead(id: number, user: string, at: number): Promise<NotificationRow | undefined>;
  /** Marks the user's unread notifications with ids up to `upTo` read; how many. */
  markNotificationsRead(user: string, upTo: number, at: number): Promise<number>;

  // ---- nodes and takeover (issue 11)
  /** Records the node (first call) or its new heartbeat. */
  heartbeatNode(n: NodeRow): Promise<void>;
  listNodes(): Promise<NodeRow[]>;
  /** Makes the claims of dead nodes due now (freeing their slots) and forgets the nodes; returns the actions taken back. */
  takeOver(t: TakeOver): Promise<string[]>;

  // ---- cases and processes
  /** Inserts a case; with a process, its first event is queued in the same transaction. A taken launch key is a ConflictError. */
  createCase(
    row: CaseRow,
    opts?: { launchKey?: string; launchHash?: string; startEvent?: CaseEvent; events?: WebhookEventRow[]; history?: NewCaseHistoryEntry[] },
  ): Promise<void>;
  getCaseByLaunchKey(key: string): Promise<{ row: CaseRow; launchHash: string | null } | undefined>;
  /** A page of cases, newest first; `more` when it filled its limit or was cut at `maxBytes`; `resumeBefore` as listActionsPage's. */
  listCases(filter: CaseFilter): Promise<{ cases: CaseRow[]; more: boolean; resumeBefore?: string }>;
  /** How many cases match, counting no further than `upTo` (no text search: that is a scan). */
  countCasesUpTo(filter: Omit<CaseFilter, 'limit' | 'before' | 'q' | 'maxBytes'>, upTo: number): Promise<number>;
  /**
   * Inserts the view unless its owner already has `maxPerOwner` (false: nothing stored). Throws a
   * ConflictError when the owner has a view of that name on that screen.
   */
  insertSavedView(row: SavedViewRow, maxPerOwner: number): Promise<boolean>;
  getSavedView(id: string): Promise<SavedViewRow | undefined>;
  /** The owner's views and, at most `sharedLimit`, the others' shared ones; by screen and name. */
  listSavedViews(owner: string, screen: SavedViewRow['screen'] | undefined, sharedLimit: number): Promise<SavedViewRow[]>;
  /** Every owner's views of `screen` whose query may name `filter` (a rename to follow); the caller reads each query. */
  listSavedViewsNaming(screen: SavedViewRow['screen'], filter: string): Promise<SavedViewRow[]>;
  /** Guarded by revision (false: changed or deleted meanwhile); a ConflictError when the new name is taken. */
  updateSavedView(row: SavedViewRow, expectedRevision: number): Promise<boolean>;
  /** Deleted; with `expectedRevision`, only while it is still at that revision. */
  deleteSavedView(id: string, expectedRevision?: number): Promise<boolean>;
  /** A version-guarded change of a case (and the outbox row it applied, in the same transaction); false when the version moved. */
  updateCase(w: CaseWrite): Promise<boolean>;
  /** A page of a case's history, newest first: entries before `before` (a seq), at most `limit`. */
  listCaseHistory(caseId: string, page: { before?: number; limit: number }): Promise<CaseHistoryRow[]>;
  /** Leases the oldest event of each case no one holds (one per case, so a case's events apply in order). */
  claimCaseEvents(p: CaseEventClaim): Promise<CaseOutboxRow[]>;
  /** Removes an applied event that changed nothing. */
  deleteCaseEvent(seq: number): Promise<void>;
  /**
   * Gives a claimed event back, claimable again from `until` (its lease cut short), but only while the
   * lease is still the one `leaseUntil` names: after it ended, another node may hold the event now.
   * False when it did not.
   */
  releaseCaseEvent(seq: number, leaseUntil: number, until: number): Promise<boolean>;

  // ---- webhooks out and signed inbound (W4a)
  insertWebhookSubscription(row: WebhookSubscriptionRow): Promise<void>;
  /** Guarded by revision; false when another writer got there first (or it is gone). */
  updateWebhookSubscription(row: WebhookSubscriptionRow, expectedRevision: number): Promise<boolean>;
  getWebhookSubscription(id: string): Promise<WebhookSubscriptionRow | undefined>;
  listWebhookSubscriptions(): Promise<WebhookSubscriptionRow[]>;
  /** A page of subscriptions, newest first. */
  listWebhookSubscriptionsPage(page: SmallPage): Promise<{ rows: WebhookSubscriptionRow[]; more: boolean }>;
  /** Deletes it with its deliveries; false when there was none. */
  /** Deleted with its deliveries; with `expectedRevision`, only while the row is still at that revision. */
  deleteWebhookSubscription(id: string, expectedRevision?: number): Promise<boolean>;
  /** Puts events in the outbox on their own (case events, until their write carries them). */
  insertWebhookEvents(events: WebhookEventRow[]): Promise<void>;
  /**
   * Leases up to `limit` due deliveries of enabled subscriptions, each the oldest pending one of its
   * subscription and ordering key (so one case's events go out in order).
   */
  claimWebhookDeliveries(p: WebhookClaimParams): Promise<WebhookDeliveryRow[]>;
  /** Writes attempts, their deliveries' next steps and the endpoints' health in one transaction; false where the lease was lost. */
  finishWebhookAttempts(results: WebhookAttemptResult[]): Promise<boolean[]>;
  /** A subscription's deliveries, newest first, each with its attempts. */
  /** Newest first; with `before` (a delivery's id), the ones older than it (none when it is not this subscription's). */
  listWebhookDeliveries(
    subscriptionId: string,
    limit: number,
    before?: string,
  ): Promise<Array<WebhookDeliveryRow & { attemptList: WebhookAttemptRow[] }>>;
  /** Makes a delivery due now again (failed or pending); undefined when it is not this subscription's. */
  retryWebhookDelivery(subscriptionId: string, deliveryId: string, now: number): Promise<WebhookDeliveryRow | undefined>;
  /** Records an inbound message id until `until`; true when it was already recorded and not expired. */
  rememberInboundId(id: string, until: number, now: number): Promise<boolean>;
  /** Forgets an inbound message id (its request was refused after its signature checked out): the sender's retry is taken. */
  forgetInboundId(id: string): Promise<void>;

  // ---- held backlogs (I11b)
  /** The latest due time of the throttled actions of these action types (where their backlog ends), or null. */
  latestHeldDueAt(actionTypeIds: readonly string[]): Promise<number | null>;

  // ---- integrated queues (I13b)
  /**
   * A task's change on an integrated queue: its guarded write (with effects), the integration-log
   * entry and the launched action, in one transaction; false (nothing written) when the version moved.
   */
  writeIntegration(w: IntegrationWrite): Promise<boolean>;
  /** A task's integration log, oldest first. */
  listIntegrationLog(taskId: string): Promise<IntegrationLogEntry[]>;
  /** The task an integration action was launched for; undefined for any other action. */
  integrationTaskOf(actionId: string): Promise<string | undefined>;
  /**
   * Up to `limit` actions of outbound exchanges whose recorded outcome their action has left behind:
   * none recorded while the action is To Do or closed, or 'failed' / 'not_sent' while it is closed
   * Done Successfully. What a node that died before recording it left; the integration service's sweep.
   */
  listUnsettledIntegrationActions(limit: number): Promise<string[]>;
  /**
   * Tasks that landed on an integrated queue by its allocation and are still to be submitted to its
   * provider (left in the landing's transaction; see allocateInTransaction), oldest first; with
   * `actionId`, that task's only.
   */
  listPendingSubmissions(limit: number, actionId?: string): Promise<PendingSubmission[]>;
  /**
   * The task's pending submission is done with (submitted, or nothing is to be sent any more). With
   * `seen`, only while it is still the landing read (a landing since, on another queue, stays pending).
   */
  dropPendingSubmission(actionId: string, seen?: Pick<PendingSubmission, 'queue' | 'at'>): Promise<void>;
}

/**
 * A member taken off a queue whose To Do tasks on it are still being given back to it (a page at a
 * time): recorded with the queue's change, so a node that stops between pages leaves it to any node's sweep.
 */
export interface PendingRelease {
  holder: string;
  queue: string;
  /** Who took them off (the tasks' timelines say so). */
  by: string;
  /** Said on each task's timeline. */
  because: string;
  /** When the queue changed. */
  at: number;
}

/** A task waiting to be submitted to the provider of the queue it landed on. */
export interface PendingSubmission {
  actionId: string;
  queue: string;
  at: number;
  /** Whom the queue's allocation gave it to as it landed; null: no one. */
  assignee: string | null;
}

// ---- integrated queues (I13b)
/** A task's change on an integrated queue: its guarded write, the log entry and the launch, all or nothing. */
export interface IntegrationWrite {
  /** The task's guarded write; null when only an exchange's outcome is recorded. */
  write: ActionWrite | null;
  /** A new entry; null when an exchange's outcome is recorded instead (`settle`). */
  entry: IntegrationLogEntry | null;
  /** The action the exchange launches, stored under its launch key `integration:<task id>:<n>`. */
  launch: NewAction | null;
  /**
   * An outbound exchange's outcome: the entry of the action it launched gets this result and
   * outcome, guarded by the outcome it had (`from`): another node that recorded it first wins, and
   * nothing of this write is kept.
   */
  settle?: { actionId: string; result: string; outcome: ExchangeOutcome; from: ExchangeOutcome | null };
  /** The outbound action's own guarded write (put on its task's queue), all or nothing with the rest. */
  also?: ActionWrite;
}
