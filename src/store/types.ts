// The Store interface: everything the engine and the API persist. Two honest implementations
// (sqlite/ and postgres/) pass one conformance suite (test/store-conformance/).

import type { ActionRecord, TimelineEntry } from '../lifecycle/action.ts';
import type { Effect } from '../lifecycle/transition.ts';
import type { Phase, State } from '../lifecycle/states.ts';
import type { ConnectorStatus } from '../connectors/circuit.ts';
import type {
  WebhookAttemptResult,
  WebhookAttemptRow,
  WebhookClaimParams,
  WebhookDeliveryRow,
  WebhookEventRow,
  WebhookSubscriptionRow,
} from '../webhooks/rows.ts';

export type ConfigKind = 'connector' | 'action_type';

/** A configuration document (connector or action type) as stored; `doc` holds secrets encrypted. */
export interface ConfigRow {
  id: string;
  name: string;
  doc: Record<string, unknown>;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export interface NewAction {
  action: ActionRecord;
  timeline: TimelineEntry[];
  /** The launch request's Idempotency-Key and a hash of its body, to answer repeats. */
  launchKey?: string;
  launchHash?: string;
  /** Webhook events of the launch, put in the outbox in the same transaction. */
  events?: WebhookEventRow[];
}

/** One guarded write of an action: applied only if the stored version is still `expectedVersion`. */
export interface ActionWrite {
  action: ActionRecord;
  expectedVersion: number;
  timeline: TimelineEntry[];
  effects: Effect[];
  /** Webhook events of the change, put in the outbox in the same transaction when the write applies. */
  events?: WebhookEventRow[];
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
  escalated?: boolean;
  externalReference?: string;
  /** Actions created before this id (ids are time-ordered), for paging newest first. */
  before?: string;
  limit: number;
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
}

export interface NotificationRow {
  id: number;
  user: string;
  kind: string;
  message: string;
  actionId: string | null;
  caseId: string | null;
  at: number;
}

/** Where a key came from: the API (absent), the CALLOUT_ADMIN_KEY setting, or generated on first start. */
export type ApiKeyOrigin = 'env' | 'generated';

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
}

export interface ClaimParams {
  now: number;
  owner: string;
  /** Claimed rows become due again at this time unless written first: the lease. */
  leaseUntil: number;
  limit: number;
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
  /** Whether a commit on one node wakes the engines of the others (`listen`); otherwise they poll. */
  readonly notifiesOtherNodes: boolean;
  /** The folder holding the store's files when it is local to this machine (a generated secret key may live beside it); null when the store is a server. */
  readonly localDataDir: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Calls `onWork` when any node commits an action that is due now (a launch, a retry due at once),
   * so engines need not wait for their next poll; resolves to an unsubscribe. Optional: the
   * embedded store has one process and nothing to listen to.
   */
  listen?(onWork: () => void): Promise<() => Promise<void>>;

  /** Resolves when the store answers a query (cheap: for /health), rejects otherwise. */
  ping(): Promise<void>;

  /** Returns the stored value, or stores `value` if none and returns it (first writer wins across nodes). */
  ensureSetting(key: string, value: string): Promise<string>;

  insertConfig(kind: ConfigKind, row: ConfigRow): Promise<void>;
  /** Guarded by revision; false when another writer got there first. */
  updateConfig(kind: ConfigKind, row: ConfigRow, expectedRevision: number): Promise<boolean>;
  getConfig(kind: ConfigKind, idOrName: string): Promise<ConfigRow | undefined>;
  listConfig(kind: ConfigKind): Promise<ConfigRow[]>;

  insertActions(items: NewAction[]): Promise<void>;
  getAction(id: string): Promise<ActionRecord | undefined>;
  getActionByLaunchKey(key: string): Promise<{ action: ActionRecord; launchHash: string | null } | undefined>;
  listActions(filter: ActionFilter): Promise<ActionRecord[]>;
  countActions(filter: Omit<ActionFilter, 'limit' | 'before'>): Promise<number>;
  /** Open actions of a type waiting for a retry, for live retry-policy changes. */
  listRetryScheduled(actionTypeId: string): Promise<ActionRecord[]>;

  /** Leases up to `limit` due actions: phase becomes `sending` (unless awaiting a callback), due at the lease end. */
  claimDue(p: ClaimParams): Promise<ActionRecord[]>;
  nextDueAt(): Promise<number | null>;
  /** Applies guarded writes in one transaction; returns, per write, whether it was applied. */
  writeActions(writes: ActionWrite[]): Promise<boolean[]>;
  listTimeline(actionId: string): Promise<TimelineRow[]>;

  /** Takes permits from every fixed window of a connector's rate limits at once (all windows or none). */
  acquireRatePermits(r: RatePermitRequest): Promise<RatePermitGrant>;
  /** Takes in-flight slots for the given actions up to `max`; returns the ids that got one. */
  acquireConcurrency(r: ConcurrencyRequest): Promise<string[]>;
  releaseConcurrency(connectorId: string, actionIds: string[]): Promise<void>;

  listConnectorStatus(): Promise<ConnectorStatus[]>;
  /** Read-modify-write of one connector's status in a transaction (`update` gets undefined when there is none). */
  updateConnectorStatus(connectorId: string, update: (cur: ConnectorStatus | undefined) => ConnectorStatus): Promise<ConnectorStatus>;

  insertCase(row: CaseRow): Promise<void>;
  getCase(id: string): Promise<CaseRow | undefined>;
  listNotifications(user: string): Promise<NotificationRow[]>;

  /** Throws a ConflictError naming the field when the name is taken by a key not revoked, or the hash by any key. */
  insertApiKey(row: ApiKeyRow): Promise<void>;
  /** The key with this hash, revoked or not (the caller refuses revoked keys). */
  findApiKey(keyHash: string): Promise<ApiKeyRow | undefined>;
  /** Every key, revoked ones too, oldest first. */
  listApiKeys(): Promise<ApiKeyRow[]>;
  /** Revokes the key (a second call keeps the first time); undefined when there is no such key. */
  revokeApiKey(id: string, at: number): Promise<ApiKeyRow | undefined>;
  touchApiKey(id: string, at: number): Promise<void>;

  // ---- webhooks out and signed inbound (W4a)
  insertWebhookSubscription(row: WebhookSubscriptionRow): Promise<void>;
  /** Guarded by revision; false when another writer got there first (or it is gone). */
  updateWebhookSubscription(row: WebhookSubscriptionRow, expectedRevision: number): Promise<boolean>;
  getWebhookSubscription(id: string): Promise<WebhookSubscriptionRow | undefined>;
  listWebhookSubscriptions(): Promise<WebhookSubscriptionRow[]>;
  /** Deletes it with its deliveries; false when there was none. */
  deleteWebhookSubscription(id: string): Promise<boolean>;
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
  listWebhookDeliveries(subscriptionId: string, limit: number): Promise<Array<WebhookDeliveryRow & { attemptList: WebhookAttemptRow[] }>>;
  /** Makes a delivery due now again (failed or pending); undefined when it is not this subscription's. */
  retryWebhookDelivery(subscriptionId: string, deliveryId: string, now: number): Promise<WebhookDeliveryRow | undefined>;
  /** Records an inbound message id until `until`; true when it was already recorded and not expired. */
  rememberInboundId(id: string, until: number, now: number): Promise<boolean>;
}
