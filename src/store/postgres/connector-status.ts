// Connector status (circuit breaker): read all, or read-modify-write one in a transaction holding the
// connector's advisory lock (not FOR UPDATE: the first status of a connector has no row to lock yet).

import type { Pool } from 'pg';
import { changeStatus, type ConnectorStatus, type StatusChange } from '../../connectors/circuit.ts';
import { connectorStatusFromRow } from '../rows.ts';
import { inTransaction, lockConnector } from './transaction.ts';

const UPSERT =
  'INSERT INTO connector_status (connector_id, doc, updated_at) VALUES ($1, $2, $3) ON CONFLICT (connector_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at';

export async function listConnectorStatus(pool: Pool): Promise<ConnectorStatus[]> {
  return (await pool.query<{ doc: string }>('SELECT doc FROM connector_status')).rows.map(connectorStatusFromRow);
}

export async function updateConnectorStatus(
  pool: Pool,
  connectorId: string,
  change: StatusChange,
): Promise<{ status: ConnectorStatus; applied: boolean }> {
  return inTransaction(pool, async (c) => {
    await lockConnector(c, 'status', connectorId);
    const row = (await c.query<{ doc: string }>('SELECT doc FROM connector_status WHERE connector_id = $1', [connectorId])).rows[0];
    const next = changeStatus(row ? connectorStatusFromRow(row) : undefined, connectorId, change);
    await c.query(UPSERT, [connectorId, JSON.stringify(next.status), next.status.updatedAt]);
    return next;
  });
}
