// Connector limits in the shared store: fixed-window rate permits and in-flight slots. Each is one
// transaction holding a per-connector advisory lock, so nodes asking at once never overshoot.
// (SQLite's immediate transaction locks the whole file; here only one connector's counters wait.)

import type { Pool, PoolClient } from 'pg';
import type { ConcurrencyRequest, RatePermitGrant, RatePermitRequest } from '../types.ts';
import { inTransaction } from './transaction.ts';

/** Serialises read-modify-write of one connector's counters; keyed by schema too, so installations sharing a database do not wait on each other. */
export async function lockConnector(client: PoolClient, what: string, connectorId: string): Promise<void> {
  await client.query({
    name: 'callout_lock_connector',
    text: `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1 || ':' || $2, 0))`,
    values: [what, connectorId],
  });
}

const USED = `SELECT per_ms, window_start, used FROM rate_windows WHERE connector_id = $1 AND per_ms = ANY($2::bigint[]) AND window_start = ANY($3::bigint[])`;

const TAKE = `
INSERT INTO rate_windows (connector_id, per_ms, window_start, used)
SELECT $1, w.per_ms, w.window_start, $4 FROM unnest($2::bigint[], $3::bigint[]) AS w(per_ms, window_start)
    ON CONFLICT (connector_id, per_ms, window_start) DO UPDATE SET used = rate_windows.used + excluded.used`;

export async function acquireRatePermits(pool: Pool, r: RatePermitRequest): Promise<RatePermitGrant> {
  return inTransaction(pool, async (client): Promise<RatePermitGrant> => {
    await lockConnector(client, 'rate', r.connectorId);
    const starts = r.limits.map((l) => Math.floor(r.now / l.perMs) * l.perMs);
    const perMs = r.limits.map((l) => l.perMs);
    const rows = (
      await client.query<{ per_ms: string; window_start: string; used: number }>({
        name: 'callout_rate_used',
        text: USED,
        values: [r.connectorId, perMs, starts],
      })
    ).rows;
    const windows = r.limits.map((l, i) => {
      const used = rows.find((row) => Number(row.per_ms) === l.perMs && Number(row.window_start) === starts[i])?.used ?? 0;
      return { ...l, start: starts[i]!, free: Math.max(0, l.limit - used) };
    });
    const granted = Math.min(r.want, ...windows.map((w) => w.free));
    if (granted > 0) await client.query({ name: 'callout_rate_take', text: TAKE, values: [r.connectorId, perMs, starts, granted] });
    // The caller must wait until every window it exhausted has rolled over.
    const exhausted = windows.filter((w) => w.free <= granted);
    const retryAt = granted < r.want ? Math.max(...exhausted.map((w) => w.start + w.perMs)) : null;
    if (Math.random() < 0.01) await client.query('DELETE FROM rate_windows WHERE window_start + per_ms < $1', [r.now - 60_000]);
    return { granted, retryAt };
  });
}

// Expired slots go first; the count excludes them explicitly because the statement's snapshot still shows them.
const BUSY = `
WITH expired AS (DELETE FROM concurrency_slots WHERE connector_id = $1 AND until <= $2)
SELECT count(*) AS n FROM concurrency_slots WHERE connector_id = $1 AND until > $2`;

const OCCUPY = `
INSERT INTO concurrency_slots (connector_id, action_id, until)
SELECT $1, unnest($2::text[]), $3
    ON CONFLICT (connector_id, action_id) DO UPDATE SET until = excluded.until`;

export async function acquireConcurrency(pool: Pool, r: ConcurrencyRequest): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    await lockConnector(client, 'slots', r.connectorId);
    const busy = Number(
      (await client.query<{ n: string }>({ name: 'callout_slots_busy', text: BUSY, values: [r.connectorId, r.now] })).rows[0]!.n,
    );
    const take = r.actionIds.slice(0, Math.max(0, r.max - busy));
    if (take.length > 0) await client.query({ name: 'callout_slots_occupy', text: OCCUPY, values: [r.connectorId, take, r.until] });
    return take;
  });
}

export async function releaseConcurrency(pool: Pool, connectorId: string, actionIds: string[]): Promise<void> {
  await pool.query({
    name: 'callout_slots_release',
    text: 'DELETE FROM concurrency_slots WHERE connector_id = $1 AND action_id = ANY($2::text[])',
    values: [connectorId, actionIds],
  });
}
