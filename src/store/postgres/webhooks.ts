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
import { attemptFromRow, deliveryFromRow, subscriptionFromRow } from '../sqlite/webhooks.ts';
import { inTransaction } from './transaction.ts';

const SUB_COLUMNS =
  'id, url, events, description, enabled, secrets, failing_since, disabled_at, disabled_reason, created_at, updated_at, revision';
const DELIVERY_COLUMNS =
  'id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, last_error, created_at, updated_at';

type Row = Record<string, unknown>;

export async function insertWebhookSubscription(pool: Pool, s: WebhookSubscriptionRow): Promise<void> {
  await pool.query(`INSERT INTO webhook_subscriptions (${SUB_COLUMNS}) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
    s.id,
    s.url,
    JSON.stringify(s.events),
    s.description,
    s.enabled,
    s.secrets,
    s.failingSince,
    s.disabledAt,
    s.disabledReason,
    s.createdAt,
    s.updatedAt,
    s.revision,
  ]);
}

export async function updateWebhookSubscription(pool: Pool, s: WebhookSubscriptionRow, expectedRevision: number): Promise<boolean> {
  const r = await pool.query(
    `UPDATE webhook_subscriptions SET url = $1, events = $2::jsonb, description = $3, enabled = $4, secrets = $5, failing_since = $6,
            disabled_at = $7, disabled_reason = $8, updated_at = $9, revision = $10 WHERE id = $11 AND revision = $12`,
    [
      s.url,
      JSON.stringify(s.events),
      s.description,
      s.enabled,
      s.secrets,
      s.failingSince,
      s.disabledAt,
      s.disabledReason,
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

export async function deleteWebhookSubscription(pool: Pool, id: string): Promise<boolean> {
  // Deliveries and their attempts go with it (ON DELETE CASCADE).
  const r = await pool.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
  return r.rowCount === 1;
}

const NEXT_SEQ = `INSERT INTO webhook_sequences AS s (ordering_key, last_seq) VALUES ($1, 1)
  ON CONFLICT (ordering_key) DO UPDATE SET last_seq = s.last_seq + 1 RETURNING last_seq`;
const INSERT_DELIVERIES = `
INSERT INTO webhook_deliveries (id, subscription_id, event_type, ordering_key, sequence, body, status, attempts, due_at, created_at, updated_at)
SELECT t.delivery_id, s.id, $2, $3, $4, $5, 'pending', 0, $6, $6, $6
  FROM jsonb_to_recordset($1::jsonb) AS t(delivery_id text, subscription_id text)
  JOIN webhook_subscriptions s ON s.id = t.subscription_id`;

/** Inside the caller's transaction: numbers each event in its ordering key and adds one delivery per target. */
export async function insertWebhookEventsTx(client: PoolClient, events: readonly WebhookEventRow[]): Promise<void> {
  for (const { event, targets } of events) {
    if (targets.length === 0) continue;
    const seq = (await client.query<{ last_seq: number }>({ name: 'callout_webhook_seq', text: NEXT_SEQ, values: [event.orderingKey] }))
      .rows[0]!.last_seq;
    const targetsJson = JSON.stringify(targets.map((t) => ({ delivery_id: t.deliveryId, subscription_id: t.subscriptionId })));
    await client.query({
      name: 'callout_webhook_deliveries',
      text: INSERT_DELIVERIES,
      values: [targetsJson, event.type, event.orderingKey, seq, payloadBody(event, seq), event.at],
    });
  }
}

export async function insertWebhookEvents(pool: Pool, events: WebhookEventRow[]): Promise<void> {
  if (events.length === 0) return;
  await inTransaction(pool, (c) => insertWebhookEventsTx(c, events));
}

// The head of each chain only (no older pending delivery of its subscription and ordering key).
// SKIP LOCKED because several nodes claim at once; the lease is the due time, as for actions.
const CLAIM = `
UPDATE webhook_deliveries w SET due_at = $3, lease_owner = $4
 WHERE w.id = ANY(ARRAY(
   SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
    WHERE d.status = 'pending' AND d.due_at <= $1 AND s.enabled AND s.disabled_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'pending' AND e.subscription_id = d.subscription_id
                      AND e.ordering_key = d.ordering_key AND e.ord < d.ord)
    ORDER BY d.due_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED))
RETURNING ${DELIVERY_COLUMNS.split(', ')
  .map((c) => `w.${c}`)
  .join(', ')}`;

export async function claimWebhookDeliveries(pool: Pool, p: WebhookClaimParams): Promise<WebhookDeliveryRow[]> {
  const r = await pool.query<Row>({ name: 'callout_webhook_claim', text: CLAIM, values: [p.now, p.limit, p.leaseUntil, p.owner] });
  return r.rows.map(deliveryFromRow);
}

export async function finishWebhookAttempt(pool: Pool, r: WebhookAttemptResult): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    const a = r.attempt;
    const done = await c.query(
      `UPDATE webhook_deliveries SET status = $1, attempts = $2, due_at = $3, last_error = $4, lease_owner = NULL, updated_at = $5
        WHERE id = $6 AND lease_owner = $7`,
      [r.status, a.n, r.status === 'pending' ? r.dueAt : null, r.lastError, a.at, r.deliveryId, r.owner],
    );
    if (done.rowCount !== 1) return false;
    await c.query(
      `INSERT INTO webhook_attempts (delivery_id, n, at, status, duration_ms, outcome, excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (delivery_id, n) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status, duration_ms = EXCLUDED.duration_ms,
         outcome = EXCLUDED.outcome, excerpt = EXCLUDED.excerpt`,
      [r.deliveryId, a.n, a.at, a.status, Math.round(a.durationMs), a.outcome, a.excerpt],
    );
    if (r.health)
      await c.query(
        `UPDATE webhook_subscriptions SET failing_since = $1, disabled_at = $2, disabled_reason = $3, revision = revision + 1, updated_at = $4
          WHERE id = $5 AND disabled_at IS NULL`,
        [r.health.failingSince, r.health.disabledAt, r.health.disabledReason, a.at, r.subscriptionId],
      );
    if (r.adminNotice)
      await c.query(
        `INSERT INTO notifications (user_name, kind, message, at)
         SELECT name, 'webhook.disabled', $1, $2 FROM api_keys WHERE revoked_at IS NULL AND roles ? 'admin'`,
        [r.adminNotice, a.at],
      );
    return true;
  });
}

export async function listWebhookDeliveries(
  pool: Pool,
  subscriptionId: string,
  limit: number,
): Promise<Array<WebhookDeliveryRow & { attemptList: WebhookAttemptRow[] }>> {
  const d = await pool.query<Row>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY ord DESC LIMIT $2`,
    [subscriptionId, limit],
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
  // A delivered one may be sent again too (a receiver lost it): same id, so it can tell.
  const r = await pool.query<Row>(
    `UPDATE webhook_deliveries SET status = 'pending', due_at = $1, lease_owner = NULL, updated_at = $1
      WHERE id = $2 AND subscription_id = $3 RETURNING ${DELIVERY_COLUMNS}`,
    [now, id, subscriptionId],
  );
  return r.rows[0] ? deliveryFromRow(r.rows[0]) : undefined;
}

export async function rememberInboundId(pool: Pool, id: string, until: number, now: number): Promise<boolean> {
  return inTransaction(pool, async (c) => {
    // An expired id may be used again; expired rows are pruned a few at a time as ids arrive.
    await c.query('DELETE FROM inbound_ids WHERE id IN (SELECT id FROM inbound_ids WHERE until <= $1 LIMIT 100)', [now]);
    const r = await c.query('INSERT INTO inbound_ids (id, until) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, until]);
    return r.rowCount === 0;
  });
}
