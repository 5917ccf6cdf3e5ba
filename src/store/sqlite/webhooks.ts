// Webhooks out on the embedded store: subscriptions, the outbox (filled inside the action's own
// transaction by insertWebhookEventsTx), claims of due deliveries, attempts, and inbound replay ids.
// A chain (a subscription's deliveries of one ordering key) goes out in order: only its head is due.

import type Database from 'better-sqlite3';
import { payloadBody } from '../../webhooks/events.ts';
import type {
  WebhookAttemptResult,
  WebhookAttemptRow,
  WebhookClaimParams,
  WebhookDeliveryRow,
  WebhookEventRow,
  WebhookSubscriptionRow,
} from '../../webhooks/rows.ts';
import type { SmallPage } from '../types.ts';
import { prepared } from './statements.ts';
import { boundNotifications } from './list-notifications.ts';

const SUB_COLUMNS =
  'id, url, events, description, enabled, secrets, failing_since, disabled_at, disabled_reason, retry, created_at, updated_at, revision';
const DELIVERY_COLUMNS =
  'id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, last_error, created_at, updated_at';

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function subscriptionFromRow(r: Row): WebhookSubscriptionRow {
  return {
    id: r.id as string,
    url: r.url as string,
    events: JSON.parse(r.events as string) as string[],
    description: (r.description as string | null) ?? null,
    enabled: r.enabled === true || r.enabled === 1,
    secrets: r.secrets as string,
    failingSince: num(r.failing_since),
    disabledAt: num(r.disabled_at),
    disabledReason: (r.disabled_reason as string | null) ?? null,
    // JSON text on both stores (PostgreSQL's jsonb is read as text).
    retry: r.retry === null || r.retry === undefined ? null : (JSON.parse(r.retry as string) as WebhookSubscriptionRow['retry']),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    revision: Number(r.revision),
  };
}

export function deliveryFromRow(r: Row): WebhookDeliveryRow {
  return {
    id: r.id as string,
    subscriptionId: r.subscription_id as string,
    eventType: r.event_type as string,
    orderingKey: r.ordering_key as string,
    sequence: Number(r.sequence),
    body: r.body as string,
    status: r.status as WebhookDeliveryRow['status'],
    attempts: Number(r.attempts),
    dueAt: num(r.due_at),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function attemptFromRow(r: Row): WebhookAttemptRow {
  return {
    n: Number(r.n),
    at: Number(r.at),
    status: num(r.status),
    durationMs: Number(r.duration_ms),
    outcome: r.outcome as string,
    excerpt: (r.excerpt as string | null) ?? null,
  };
}

const subValues = (s: WebhookSubscriptionRow): unknown[] => [
  s.id,
  s.url,
  JSON.stringify(s.events),
  s.description,
  s.enabled ? 1 : 0,
  s.secrets,
  s.failingSince,
  s.disabledAt,
  s.disabledReason,
  s.retry ? JSON.stringify(s.retry) : null,
  s.createdAt,
  s.updatedAt,
  s.revision,
];

export function insertWebhookSubscription(db: Database.Database, s: WebhookSubscriptionRow): void {
  prepared(
    db,
    `INSERT INTO webhook_subscriptions (${SUB_COLUMNS}) VALUES (${SUB_COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  ).run(...subValues(s));
}

export function updateWebhookSubscription(db: Database.Database, s: WebhookSubscriptionRow, expectedRevision: number): boolean {
  const sql = `UPDATE webhook_subscriptions SET url = ?, events = ?, description = ?, enabled = ?, secrets = ?, failing_since = ?,
    disabled_at = ?, disabled_reason = ?, retry = ?, updated_at = ?, revision = ? WHERE id = ? AND revision = ?`;
  const [id, ...rest] = subValues(s);
  rest.splice(rest.length - 3, 1); // created_at never changes
  return prepared(db, sql).run(...rest, id, expectedRevision).changes === 1;
}

export function getWebhookSubscription(db: Database.Database, id: string): WebhookSubscriptionRow | undefined {
  const r = prepared(db, `SELECT ${SUB_COLUMNS} FROM webhook_subscriptions WHERE id = ?`).get(id) as Row | undefined;
  return r ? subscriptionFromRow(r) : undefined;
}

export function listWebhookSubscriptions(db: Database.Database): WebhookSubscriptionRow[] {
  return (prepared(db, `SELECT ${SUB_COLUMNS} FROM webhook_subscriptions ORDER BY id`).all() as Row[]).map(subscriptionFromRow);
}

/** A page newest first (ids are UUIDv7: by creation), on the primary key. */
export function listWebhookSubscriptionsPage(db: Database.Database, p: SmallPage): { rows: WebhookSubscriptionRow[]; more: boolean } {
  const sql = `SELECT ${SUB_COLUMNS} FROM webhook_subscriptions ${p.before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`;
  const rows = prepared(db, sql).all(...(p.before !== undefined ? [p.before] : []), p.limit) as Row[];
  return { rows: rows.map(subscriptionFromRow), more: rows.length === p.limit };
}

export function deleteWebhookSubscription(db: Database.Database, id: string, expectedRevision?: number): boolean {
  return db
    .transaction(() => {
      const row = prepared(db, 'SELECT revision FROM webhook_subscriptions WHERE id = ?').get(id) as { revision: number } | undefined;
      if (!row || (expectedRevision !== undefined && Number(row.revision) !== expectedRevision)) return false;
      prepared(db, 'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = ?)').run(
        id,
      );
      prepared(db, 'DELETE FROM webhook_deliveries WHERE subscription_id = ?').run(id);
      return prepared(db, 'DELETE FROM webhook_subscriptions WHERE id = ?').run(id).changes === 1;
      // Immediate: the revision read is the one deleted, whatever another process writes meanwhile.
    })
    .immediate();
}

const NEXT_SEQ = `INSERT INTO webhook_sequences (ordering_key, last_seq) VALUES (?, 1)
  ON CONFLICT (ordering_key) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`;
// A delivery is due at once when it heads its chain; behind a pending one it waits (no due time).
// The first event of an ordering key has no chain to look up. The chain is one expression (its
// index's), so the look-up can take no other index.
const INSERT_DELIVERY = `INSERT INTO webhook_deliveries (id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, created_at, updated_at)
  SELECT @id, id, @type, @key, @seq, @body, 'pending', 0,
         CASE WHEN @seq > 1 AND EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending'
                             AND (e.subscription_id || ' ' || e.ordering_key) = (@sub || ' ' || @key)) THEN NULL ELSE @at END,
         @at, @at
    FROM webhook_subscriptions WHERE id = @sub`;

/** Inside the caller's transaction: numbers each event in its ordering key and adds one delivery per target. */
export function insertWebhookEventsTx(db: Database.Database, events: readonly WebhookEventRow[]): void {
  for (const { event, targets } of events) {
    if (targets.length === 0) continue;
    const { last_seq: seq } = prepared(db, NEXT_SEQ).get(event.orderingKey) as { last_seq: number };
    const body = payloadBody(event, seq);
    // A subscription deleted since the cache was read simply gets nothing (the SELECT finds no row).
    for (const t of targets)
      prepared(db, INSERT_DELIVERY).run({
        id: t.deliveryId,
        type: event.type,
        key: event.orderingKey,
        seq,
        body,
        at: event.at,
        sub: t.subscriptionId,
      });
  }
}

export function insertWebhookEvents(db: Database.Database, events: WebhookEventRow[]): void {
  db.transaction(() => insertWebhookEventsTx(db, events)).immediate();
}

// Only chain heads have a due time, so a claim is each subscription's oldest due range: a
// subscription being delivered already, or one with a long backlog, is not scanned for another's.
const ACTIVE_SUBSCRIPTIONS = 'SELECT id FROM webhook_subscriptions WHERE enabled = 1 AND disabled_at IS NULL';
const DUE_OF = `SELECT id, due_at FROM webhook_deliveries WHERE subscription_id = ? AND status = 'pending' AND due_at <= ?
  ORDER BY due_at LIMIT ?`;
const LEASE = `UPDATE webhook_deliveries SET due_at = ?, lease_owner = ? WHERE id = ? RETURNING ${DELIVERY_COLUMNS}`;

export function claimWebhookDeliveries(db: Database.Database, p: WebhookClaimParams): WebhookDeliveryRow[] {
  const skip = new Set(p.skipSubscriptions ?? []);
  // One writer at a time (an immediate transaction), so two engines sharing the file never claim one row twice.
  return db
    .transaction(() => {
      const due: Array<{ id: string; due_at: number }> = [];
      for (const { id } of prepared(db, ACTIVE_SUBSCRIPTIONS).all() as Array<{ id: string }>)
        if (!skip.has(id)) due.push(...(prepared(db, DUE_OF).all(id, p.now, p.limit) as Array<{ id: string; due_at: number }>));
      due.sort((a, b) => a.due_at - b.due_at);
      return due.slice(0, p.limit).map((r) => deliveryFromRow(prepared(db, LEASE).get(p.leaseUntil, p.owner, r.id) as Row));
    })
    .immediate();
}

/** A batch of attempts in one transaction (one fsync), each as finishOne. */
export function finishWebhookAttempts(db: Database.Database, results: WebhookAttemptResult[], keepNotifications: number): boolean[] {
  return db.transaction(() => results.map((r) => finishOne(db, r, keepNotifications))).immediate();
}

// A delivery that left its chain hands the due time to the chain's oldest pending one, unless that
// one has a due time already (a delivery sent again by hand).
const HAND_ON = `UPDATE webhook_deliveries SET due_at = ?
  WHERE id = (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND (subscription_id || ' ' || ordering_key) = ? ORDER BY ord LIMIT 1)
    AND due_at IS NULL`;

function finishOne(db: Database.Database, r: WebhookAttemptResult, keepNotifications: number): boolean {
  const done = prepared(
    db,
    `UPDATE webhook_deliveries SET status = ?, attempts = ?, due_at = ?, last_error = ?, lease_owner = NULL, updated_at = ?
      WHERE id = ? AND lease_owner = ? RETURNING subscription_id || ' ' || ordering_key AS chain`,
  ).get(r.status, r.attempt.n, r.status === 'pending' ? r.dueAt : null, r.lastError, r.attempt.at, r.deliveryId, r.owner) as
    { chain: string } | undefined;
  if (!done) return false;
  const a = r.attempt;
  if (r.status !== 'pending') prepared(db, HAND_ON).run(a.at, done.chain);
  prepared(
    db,
    'INSERT OR REPLACE INTO webhook_attempts (delivery_id, n, at, status, duration_ms, outcome, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(r.deliveryId, a.n, a.at, a.status, a.durationMs, a.outcome, a.excerpt);
  if (r.health)
    prepared(
      db,
      `UPDATE webhook_subscriptions SET failing_since = ?, disabled_at = ?, disabled_reason = ?, revision = revision + 1, updated_at = ?
        WHERE id = ? AND disabled_at IS NULL`,
    ).run(r.health.failingSince, r.health.disabledAt, r.health.disabledReason, a.at, r.subscriptionId);
  if (r.adminNotice) {
    const insert = prepared(db, `INSERT INTO notifications (user_name, kind, message, at) VALUES (?, 'webhook.disabled', ?, ?)`);
    for (const user of r.adminNotice.to) insert.run(user, r.adminNotice.message, a.at);
    boundNotifications(db, r.adminNotice.to, keepNotifications);
  }
  return true;
}

/** The place of delivery `before` in its subscription's list; NULL (so nothing older) when it is not one of them. */
const ORD_OF_SQLITE = '(SELECT ord FROM webhook_deliveries WHERE id = ? AND subscription_id = ?)';

export function listWebhookDeliveries(
  db: Database.Database,
  subscriptionId: string,
  limit: number,
  before?: string,
): Array<WebhookDeliveryRow & { attemptList: WebhookAttemptRow[] }> {
  const rows = (
    before === undefined
      ? prepared(db, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = ? ORDER BY ord DESC LIMIT ?`).all(
          subscriptionId,
          limit,
        )
      : prepared(
          db,
          `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = ? AND ord < ${ORD_OF_SQLITE} ORDER BY ord DESC LIMIT ?`,
        ).all(subscriptionId, before, subscriptionId, limit)
  ) as Row[];
  const attempts = prepared(
    db,
    'SELECT n, at, status, duration_ms, outcome, excerpt FROM webhook_attempts WHERE delivery_id = ? ORDER BY n',
  );
  return rows.map((r) => ({ ...deliveryFromRow(r), attemptList: (attempts.all(r.id) as Row[]).map(attemptFromRow) }));
}

/** A delivery claimed by a node whose lease (its due time) has not ended: an attempt is on its way. */
const IN_FLIGHT = `(status = 'pending' AND lease_owner IS NOT NULL AND due_at IS NOT NULL AND due_at > ?)`;

export function retryWebhookDelivery(
  db: Database.Database,
  subscriptionId: string,
  id: string,
  now: number,
): WebhookDeliveryRow | undefined {
  // A delivered one may be sent again too (a receiver lost it): same id, so it can tell. It goes now,
  // outside its chain's order (the chain moved on); a pending one waiting behind its head keeps waiting.
  // One on its way now (claimed, its lease running) is answered as it is: clearing its lease had it
  // claimed and sent again beside the attempt in flight, whose result was then dropped.
  const r = prepared(
    db,
    `UPDATE webhook_deliveries SET status = 'pending', due_at = CASE WHEN status = 'pending' AND due_at IS NULL THEN NULL ELSE ? END,
            lease_owner = NULL, updated_at = ?
      WHERE id = ? AND subscription_id = ? AND NOT ${IN_FLIGHT} RETURNING ${DELIVERY_COLUMNS}`,
  ).get(now, now, id, subscriptionId, now) as Row | undefined;
  const cur =
    r ??
    (prepared(db, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ? AND subscription_id = ?`).get(id, subscriptionId) as
      Row | undefined);
  return cur ? deliveryFromRow(cur) : undefined;
}

export function forgetInboundId(db: Database.Database, id: string): void {
  prepared(db, 'DELETE FROM inbound_ids WHERE id = ?').run(id);
}

export function rememberInboundId(db: Database.Database, id: string, until: number, now: number): boolean {
  return db
    .transaction(() => {
      // An expired id may be used again; expired rows are pruned a few at a time as ids arrive.
      prepared(db, 'DELETE FROM inbound_ids WHERE id IN (SELECT id FROM inbound_ids WHERE until <= ? LIMIT 100)').run(now);
      return prepared(db, 'INSERT INTO inbound_ids (id, until) VALUES (?, ?) ON CONFLICT (id) DO NOTHING').run(id, until).changes === 0;
    })
    .immediate();
}
