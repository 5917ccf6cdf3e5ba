// Connector status (circuit breaker): read all, or read-modify-write one in an immediate transaction,
// which holds the file's write lock, so processes sharing the file take turns.

import type Database from 'better-sqlite3';
import { changeStatus, type ConnectorStatus, type StatusChange } from '../../connectors/circuit.ts';
import { connectorStatusFromRow } from '../rows.ts';
import { prepared } from './statements.ts';

const UPSERT =
  'INSERT INTO connector_status (connector_id, doc, updated_at) VALUES (?, ?, ?) ON CONFLICT (connector_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at';

export function listConnectorStatus(db: Database.Database): ConnectorStatus[] {
  return (prepared(db, 'SELECT doc FROM connector_status').all() as { doc: string }[]).map(connectorStatusFromRow);
}

export function updateConnectorStatus(
  db: Database.Database,
  connectorId: string,
  change: StatusChange,
): { status: ConnectorStatus; applied: boolean } {
  return db
    .transaction(() => {
      const row = prepared(db, 'SELECT doc FROM connector_status WHERE connector_id = ?').get(connectorId) as { doc: string } | undefined;
      const next = changeStatus(row ? connectorStatusFromRow(row) : undefined, connectorId, change);
      prepared(db, UPSERT).run(connectorId, JSON.stringify(next.status), next.status.updatedAt);
      return next;
    })
    .immediate();
}
