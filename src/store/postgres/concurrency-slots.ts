// In-flight slots of a connector: taken up to its maximum in one transaction holding the connector's
// advisory lock (so nodes never exceed it together), freed on release or when their lease ends.

import type { Pool } from 'pg';
import type { ConcurrencyRequest } from '../types.ts';
import { inTransaction, lockConnector } from './transaction.ts';

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
