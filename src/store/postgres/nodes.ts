// Engine nodes and takeover: each node's heartbeat, and taking back the claims of nodes that died.

import type { Pool } from 'pg';
import { TAKEN_BACK_MESSAGE, type NodeRow, type TakeOver } from '../types.ts';
import { insertTimeline } from './insert-timeline.ts';
import { inTransaction } from './transaction.ts';

const BEAT = `
INSERT INTO nodes (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`;

export async function heartbeatNode(pool: Pool, n: NodeRow): Promise<void> {
  await pool.query({ name: 'callout_node_heartbeat', text: BEAT, values: [n.id, n.host, n.pid, n.startedAt, n.heartbeatAt] });
}

export async function listNodes(pool: Pool): Promise<NodeRow[]> {
  const r = await pool.query<{ id: string; host: string; pid: number; started_at: string; heartbeat_at: string }>({
    name: 'callout_list_nodes',
    text: 'SELECT id, host, pid, started_at, heartbeat_at FROM nodes ORDER BY started_at',
  });
  return r.rows.map((n) => ({ id: n.id, host: n.host, pid: n.pid, startedAt: Number(n.started_at), heartbeatAt: Number(n.heartbeat_at) }));
}

// The claims of the dead become due now, as if their leases had ended; the version moves so that a
// write from a node wrongly thought dead finds the action changed (the guard), and their
// concurrency slots free at once. Orphans: claims whose owner has no node row (an older version's).
// A scan of actions by lease_owner (no index: an index would cost every claim and write, and this
// runs only when a node has died, or once at start for orphans).
const RELEASE = `
UPDATE actions SET due_at = LEAST(coalesce(due_at, $2), $2), lease_owner = NULL, version = version + 1
 WHERE lease_owner = ANY($1::text[])
    OR ($3 AND lease_owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = actions.lease_owner))
RETURNING id`;

export async function takeOver(pool: Pool, t: TakeOver): Promise<string[]> {
  return inTransaction(pool, async (c) => {
    const ids = (await c.query<{ id: string }>(RELEASE, [t.nodeIds, t.now, t.orphans])).rows.map((r) => r.id);
    if (ids.length > 0) {
      await c.query('DELETE FROM concurrency_slots WHERE action_id = ANY($1::text[])', [ids]);
      await insertTimeline(
        c,
        ids.map((actionId) => ({ actionId, at: t.now, actor: 'system' as const, kind: 'message' as const, message: TAKEN_BACK_MESSAGE })),
      );
    }
    await c.query('DELETE FROM nodes WHERE id = ANY($1::text[])', [t.nodeIds]);
    return ids;
  });
}
