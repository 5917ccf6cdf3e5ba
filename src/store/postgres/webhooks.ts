// Webhooks out on PostgreSQL: subscriptions, the outbox (filled inside the action's own transaction
// by insertWebhookEventsTx), claims of due deliveries (SKIP LOCKED: several nodes), attempts, and
// inbound replay ids.

import type { Pool, PoolClient } from 'pg';
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
import { attemptFromRow, deliveryFromRow, subscriptionFromRow } from '../sqlite/webhooks.ts';
import { inTransaction } from './transaction.ts';
import { boundNotifications } from './list-notifications.ts';

const SUB_COLUMNS =
  'id, url, events, description, enabled, secrets, failing_since, disabled_at, disabled_reason, retry, created_at, updated_at, revision';
const DELIVERY_COLUMNS =
  'id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, last_error, created_at, updated_at';

type Row = Record<string, unknown>;

export async function insertWebhookSubscription(pool: Pool | PoolClient, s: WebhookSubscriptionRow): Promise<void> {
  await pool.query(
    `INSERT INTO webhook_subscriptions (${SUB_COLUMNS}) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)`,
    [
      s.id,
      s.url,
      JSON.stringify(s.events),
      s.description,
      s.enabled,
      s.secrets,
      s.failingSince,
      s.disabledAt,
      s.disabledReason,
      s.retry ? JSON.stringify(s.retry) : null,
      s.createdAt,
      s.updatedAt,
      s.revision,
    ],
  );
}

export async function updateWebhookSubscription(
  pool: Pool | PoolClient,
  s: WebhookSubscriptionRow,
  expectedRevision: number,
): Promise<boolean> {
  const r = await pool.query(
    `UPDATE webhook_subscriptions SET url = $1, events = $2::jsonb, description = $3, enabled = $4, secrets = $5, failing_since = $6,
            disabled_at = $7, disabled_reason = $8, retry = $9::jsonb, updated_at = $10, revision = $11 WHERE id = $12 AND revision = $13`,
    [
      s.url,
      JSON.stringify(s.events),
      s.description,
      s.enabled,
      s.secrets,
      s.failingSince,
      s.disabledAt,
      s.disabledReason,
      s.retry ? JSON.stringify(s.retry) : null,
      s.updatedAt,
      s.revision,
      s.id,
      expectedRevision,
    ],
  );
  return r.rowCount === 1;
}

export async function getWebhookSubscription(pool: Pool, id: string): Promise<WebhookSubscriptionRow | undefined> {
  const r = await pool.query<Row>(`SELECT ${SUB_COLUMNS} FROM webhook_subscriptions WHERE id = $1`, [id]);
  return r.rows[0] ? subscriptionFromRow(r.rows[0]) : undefined;
}

export async function listWebhookSubscriptions(pool: Pool): Promise<WebhookSubscriptionRow[]> {
  const r = await pool.query<Row>(`SELECT ${SUB_COLUMNS} FROM webhook_subscriptions ORDER BY id`);
  return r.rows.map(subscriptionFromRow);
}

/** A page newest first (ids are UUIDv7: by creation), on the primary key. */
export async function listWebhookSubscriptionsPage(pool: Pool, p: SmallPage): Promise<{ rows: WebhookSubscriptionRow[]; more: boolean }> {
  const params: unknown[] = p.before !== undefined ? [p.before, p.limit] : [p.limit];
  const sql = `SELECT ${SUB_COLUMNS} FROM webhook_subscriptions ${p.before !== undefined ? 'WHERE id < $1' : ''} ORDER BY id DESC LIMIT $${params.length}`;
  const r = await pool.query<Row>(sql, params);
  return { rows: r.rows.map(subscriptionFromRow), more: r.rows.length === p.limit };
}

export async function deleteWebhookSubscription(pool: Pool, id: string, expectedRevision?: number): Promise<boolean> {
  // Deliveries and their attempts go with it (ON DELETE CASCADE).
  const r = await pool.query('DELETE FROM webhook_subscriptions WHERE id = $1 AND ($2::bigint IS NULL OR revision = $2)', [
    id,
    expectedRevision ?? null,
  ]);
  return r.rowCount === 1;
}

// Sequences of a whole batch in one statement: each key moves on by its number of events, keys in
// order so two writers never wait on each other's rows crosswise.
const BUMP_SEQUENCES = `
INSERT INTO webhook_sequences AS s (ordering_key, last_seq)
SELECT x.k, x.n FROM jsonb_to_recordset($1::jsonb) AS x(k text, n integer) ORDER BY x.k
ON CONFLICT (ordering_key) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
RETURNING ordering_key, last_seq`;
// A delivery is due at once when it heads its chain: the first of the batch for its subscription and
// ordering key, with none pending before it (none at all for a key's first event); the rest wait (no
// due time). The chain is one expression
// (its index's), so the look-up can take no other index, and a scalar look-up per row (not EXISTS,
// which the planner may answer by hashing every pending delivery). The sequence rows locked just before make
// writers of one chain (and the hand-on in finishWebhookAttempts) take turns, so the look-up sees theirs.
const INSERT_DELIVERIES = `
INSERT INTO webhook_deliveries (id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, created_at, updated_at)
SELECT t.id, s.id, t.event_type, t.ordering_key, t.sequence, t.body, 'pending', 0,
       CASE WHEN NOT t.first THEN NULL
            WHEN t.sequence = 1 THEN t.at
            WHEN (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending'
                   AND e.subscription_id || ' ' || e.ordering_key = t.subscription_id || ' ' || t.ordering_key LIMIT 1) IS NULL
            THEN t.at END,
       t.at, t.at
  FROM jsonb_to_recordset($1::jsonb)
       AS t(ord integer, id text, subscription_id text, event_type text, ordering_key text, sequence integer, body text, at bigint, first boolean)
  JOIN webhook_subscriptions s ON s.id = t.subscription_id
 ORDER BY t.ord`;

/**
 * Inside the caller's transaction: numbers the events in their ordering keys and adds one delivery
 * per target, in two statements for the whole batch (a subscription deleted since the cache was read
 * simply gets nothing: the join finds no row).
 */
export async function insertWebhookEventsTx(client: PoolClient, events: readonly WebhookEventRow[]): Promise<void> {
  const wanted = events.filter((e) => e.targets.length > 0);
  if (wanted.length === 0) return;
  const counts = new Map<string, number>();
  for (const { event } of wanted) counts.set(event.orderingKey, (counts.get(event.orderingKey) ?? 0) + 1);
  const bumped = await client.query<{ ordering_key: string; last_seq: number }>({
    name: 'callout_webhook_sequences',
    text: BUMP_SEQUENCES,
    values: [JSON.stringify([...counts].map(([k, n]) => ({ k, n })))],
  });
  // Each key's events take the numbers after its previous last, in batch order.
  const next = new Map(bumped.rows.map((r) => [r.ordering_key, r.last_seq - counts.get(r.ordering_key)! + 1]));
  const rows: Array<Record<string, unknown>> = [];
  const chains = new Set<string>();
  for (const { event, targets } of wanted) {
    const sequence = next.get(event.orderingKey)!;
    next.set(event.orderingKey, sequence + 1);
    const body = payloadBody(event, sequence);
    for (const t of targets)
      rows.push({
        first: chains.size < chains.add(`${t.subscriptionId} ${event.orderingKey}`).size,
        ord: rows.length,
        id: t.deliveryId,
        subscription_id: t.subscriptionId,
        event_type: event.type,
        ordering_key: event.orderingKey,
        sequence,
        body,
        at: event.at,
      });
  }
  await client.query({ name: 'callout_webhook_deliveries', text: INSERT_DELIVERIES, values: [JSON.stringify(rows)] });
}

export async function insertWebhookEvents(pool: Pool, events: WebhookEventRow[]): Promise<void> {
  if (events.length === 0) return;
  await inTransaction(pool, (c) => insertWebhookEventsTx(c, events));
}

// Only chain heads have a due time, so a claim takes each subscription's oldest due range (its own
// index range, LIMIT inside): a subscription being delivered already, or one with a long backlog, is
// not scanned for another's. SKIP LOCKED because several nodes claim at once; the lease is the due
// time, as for actions.
const CLAIM = `
UPDATE webhook_deliveries w SET due_at = $3, lease_owner = $4
 WHERE w.id = ANY(ARRAY(
   SELECT h.id FROM webhook_subscriptions s CROSS JOIN LATERAL (
     SELECT d.id, d.due_at FROM webhook_deliveries d
      WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.due_at <= $1
      ORDER BY d.due_at LIMIT $2 FOR UPDATE SKIP LOCKED) h
    WHERE s.enabled AND s.disabled_at IS NULL AND s.id <> ALL($5::text[])
    ORDER BY h.due_at LIMIT $2))
RETURNING ${DELIVERY_COLUMNS.split(', ')
  .map((c) => `w.${c}`)
  .join(', ')}`;

export async function claimWebhookDeliveries(pool: Pool, p: WebhookClaimParams): Promise<WebhookDeliveryRow[]> {
  const r = await pool.query<Row>({
    name: 'callout_webhook_claim',
    text: CLAIM,
    values: [p.now, p.limit, p.leaseUntil, p.owner, p.skipSubscriptions ?? []],
  });
  return r.rows.map(deliveryFromRow);
}

const FINISH_DELIVERIES = `
UPDATE webhook_deliveries d
   SET status = r.status, attempts = r.n, due_at = r.due_at, last_error = r.last_error, lease_owner = NULL, updated_at = r.at
  FROM jsonb_to_recordset($1::jsonb) AS r(id text, owner text, status text, n integer, due_at bigint, last_error text, at bigint)
 WHERE d.id = ANY($2::text[]) AND d.id = r.id AND d.lease_owner = r.owner
RETURNING d.id, d.status, d.subscription_id || ' ' || d.ordering_key AS chain, d.ordering_key`;
// Writers of a chain's events hold its sequence row (insertWebhookEventsTx): held here too, in key
// order, the hand-on below sees every delivery they added, and they see the one it made due.
const LOCK_SEQUENCES = `SELECT 1 FROM webhook_sequences WHERE ordering_key = ANY($1::text[]) ORDER BY ordering_key FOR UPDATE`;
// Each chain whose delivery ended hands the due time to its oldest pending one, unless that one has a
// due time already (a delivery sent again by hand).
const HAND_ON = `
UPDATE webhook_deliveries w SET due_at = $2
  FROM (SELECT (SELECT e.id FROM webhook_deliveries e WHERE e.status = 'pending' AND e.subscription_id || ' ' || e.ordering_key = c.chain
                 ORDER BY e.ord LIMIT 1) AS id
          FROM unnest($1::text[]) AS c(chain)) n
 WHERE w.id = n.id AND w.due_at IS NULL`;
const INSERT_ATTEMPTS = `
INSERT INTO webhook_attempts (delivery_id, n, at, status, duration_ms, outcome, excerpt)
SELECT r.id, r.n, r.at, r.status, r.duration_ms, r.outcome, r.excerpt
  FROM jsonb_to_recordset($1::jsonb) AS r(id text, n integer, at bigint, status integer, duration_ms integer, outcome text, excerpt text)
 WHERE r.id = ANY($2::text[])
ON CONFLICT (delivery_id, n) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status, duration_ms = EXCLUDED.duration_ms,
  outcome = EXCLUDED.outcome, excerpt = EXCLUDED.excerpt`;

/**
 * A round's attempts in one transaction: the deliveries and their attempts as two set-based
 * statements; the rare health changes and admin notices after them. A delivery whose lease another
 * node took over is left alone (false).
 */
export async function finishWebhookAttempts(pool: Pool, results: WebhookAttemptResult[], keepNotifications: number): Promise<boolean[]> {
  if (results.length === 0) return [];
  return inTransaction(pool, async (c) => {
    const updated = await c.query<{ id: string; status: string; chain: string; ordering_key: string }>({
      name: 'callout_webhook_finish',
      text: FINISH_DELIVERIES,
      values: [
        JSON.stringify(
          results.map((r) => ({
            id: r.deliveryId,
            owner: r.owner,
            status: r.status,
            n: r.attempt.n,
            due_at: r.status === 'pending' ? r.dueAt : null,
            last_error: r.lastError,
            at: r.attempt.at,
          })),
        ),
        results.map((r) => r.deliveryId),
      ],
    });
    const ok = new Set(updated.rows.map((r) => r.id));
    const ended = updated.rows.filter((r) => r.status !== 'pending');
    if (ended.length > 0) {
      await c.query({
        name: 'callout_webhook_lock_sequences',
        text: LOCK_SEQUENCES,
        values: [[...new Set(ended.map((r) => r.ordering_key))]],
      });
      await c.query({
        name: 'callout_webhook_hand_on',
        text: HAND_ON,
        values: [[...new Set(ended.map((r) => r.chain))], Math.max(...results.map((r) => r.attempt.at))],
      });
    }
    await c.query({
      name: 'callout_webhook_attempts',
      text: INSERT_ATTEMPTS,
      values: [
        JSON.stringify(
          results.map((r) => ({
            id: r.deliveryId,
            n: r.attempt.n,
            at: r.attempt.at,
            status: r.attempt.status,
            duration_ms: Math.round(r.attempt.durationMs),
            outcome: r.attempt.outcome,
            excerpt: r.attempt.excerpt,
          })),
        ),
        [...ok],
      ],
    });
    for (const r of results) if (ok.has(r.deliveryId)) await healthAndNotice(c, r, keepNotifications);
    return results.map((r) => ok.has(r.deliveryId));
  });
}

async function healthAndNotice(c: PoolClient, r: WebhookAttemptResult, keepNotifications: number): Promise<void> {
  const at = r.attempt.at;
  if (r.health)
    await c.query(
      `UPDATE webhook_subscriptions SET failing_since = $1, disabled_at = $2, disabled_reason = $3, revision = revision + 1, updated_at = $4
        WHERE id = $5 AND disabled_at IS NULL`,
      [r.health.failingSince, r.health.disabledAt, r.health.disabledReason, at, r.subscriptionId],
    );
  if (r.adminNotice) {
    await c.query(
      `INSERT INTO notifications (user_name, kind, message, at) SELECT u, 'webhook.disabled', $2, $3 FROM unnest($1::text[]) AS u`,
      [r.adminNotice.to, r.adminNotice.message, at],
    );
    await boundNotifications(c, r.adminNotice.to, keepNotifications);
  }
}

export async function listWebhookDeliveries(
  pool: Pool,
  subscriptionId: string,
  limit: number,
  before?: string,
): Promise<Array<WebhookDeliveryRow & { attemptList: WebhookAttemptRow[] }>> {
  // With `before`: older than that delivery of this subscription (nothing when it is not one of them).
  const d = await pool.query<Row>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1
       AND ($3::text IS NULL OR ord < (SELECT ord FROM webhook_deliveries WHERE id = $3 AND subscription_id = $1))
     ORDER BY ord DESC LIMIT $2`,
    [subscriptionId, limit, before ?? null],
  );
  const ids = d.rows.map((r) => r.id as string);
  const a = await pool.query<Row>(
    'SELECT delivery_id, n, at, status, duration_ms, outcome, excerpt FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY n',
    [ids],
  );
  const byDelivery = new Map<string, WebhookAttemptRow[]>();
  for (const r of a.rows) {
    const list = byDelivery.get(r.delivery_id as string) ?? [];
    list.push(attemptFromRow(r));
    byDelivery.set(r.delivery_id as string, list);
  }
  return d.rows.map((r) => ({ ...deliveryFromRow(r), attemptList: byDelivery.get(r.id as string) ?? [] }));
}

export async function retryWebhookDelivery(
  pool: Pool,
  subscriptionId: string,
  id: string,
  now: number,
): Promise<WebhookDeliveryRow | undefined> {
  // A delivered one may be sent again too (a receiver lost it): same id, so it can tell. It goes now,
  // outside its chain's order (the chain moved on); a pending one waiting behind its head keeps waiting.
  // One on its way now (claimed, its lease running) is answered as it is: clearing its lease had it
  // claimed and sent again beside the attempt in flight, whose result was then dropped.
  const r = await pool.query<Row>(
    `UPDATE webhook_deliveries SET status = 'pending', due_at = CASE WHEN status = 'pending' AND due_at IS NULL THEN NULL ELSE $1::bigint END,
            lease_owner = NULL, updated_at = $1::bigint
      WHERE id = $2 AND subscription_id = $3
        AND NOT (status = 'pending' AND lease_owner IS NOT NULL AND due_at IS NOT NULL AND due_at > $1::bigint)
      RETURNING ${DELIVERY_COLUMNS}`,
    [now, id, subscriptionId],
  );
  const cur =
    r.rows[0] ??
    (
      await pool.query<Row>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2`, [
        id,
        subscriptionId,
      ])
    ).rows[0];
  return cur ? deliveryFromRow(cur) : undefined;
}

export async function forgetInboundId(pool: Pool, id: string): Promise<void> {
  await pool.query('DELETE FROM inbound_ids WHERE id = $1', [id]);
}

export async function rememberInboundId(pool: Pool, id: string, until: number, now: number): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    // An expired id may be used again; expired rows are pruned a few at a time as ids arrive.
    await c.query('DELETE FROM inbound_ids WHERE id IN (SELECT id FROM inbound_ids WHERE until <= $1 LIMIT 100)', [now]);
    const r = await c.query('INSERT INTO inbound_ids (id, until) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, until]);
    return r.rowCount === 0;
  });
}
