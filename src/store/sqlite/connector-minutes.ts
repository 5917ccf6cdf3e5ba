// Connector attempts per minute in SQLite (engine/connector-stats.ts): nodes add to a minute's row,
// the connector page reads them summed per bucket, old minutes go a batch at a time.

import type Database from 'better-sqlite3';
import type { ConnectorMinute } from '../types.ts';
import { prepared } from './statements.ts';

const ADD = `INSERT INTO connector_minutes (connector_id, minute, ok, failed_connection, failed_timeout, failed_4xx, failed_5xx,
    latency_sum_ms, latency_max_ms, under_100ms, under_300ms, under_1s, under_3s, over_3s)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (connector_id, minute) DO UPDATE SET ok = ok + excluded.ok,
    failed_connection = failed_connection + excluded.failed_connection, failed_timeout = failed_timeout + excluded.failed_timeout,
    failed_4xx = failed_4xx + excluded.failed_4xx, failed_5xx = failed_5xx + excluded.failed_5xx,
    latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms, latency_max_ms = max(latency_max_ms, excluded.latency_max_ms),
    under_100ms = under_100ms + excluded.under_100ms, under_300ms = under_300ms + excluded.under_300ms,
    under_1s = under_1s + excluded.under_1s, under_3s = under_3s + excluded.under_3s, over_3s = over_3s + excluded.over_3s`;

const DELETE = 'DELETE FROM connector_minutes WHERE rowid IN (SELECT rowid FROM connector_minutes WHERE minute < ? LIMIT ?)';

// Bucket starts counted from `from`: a 24 h window's quarter hours line up with its first. The division
// must be an integer's: a bound number may come as a REAL, and 09:01 would then start its own bucket.
const READ = `SELECT ? + ((minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER)) * ? AS minute, sum(ok) AS ok, sum(failed_connection) AS connection,
    sum(failed_timeout) AS timeout, sum(failed_4xx) AS http4xx, sum(failed_5xx) AS http5xx,
    sum(latency_sum_ms) AS latency_sum, max(latency_max_ms) AS latency_max, sum(under_100ms) AS b0, sum(under_300ms) AS b1,
    sum(under_1s) AS b2, sum(under_3s) AS b3, sum(over_3s) AS b4
  FROM connector_minutes WHERE connector_id = ? AND minute >= ? AND minute < ?
  GROUP BY 1 ORDER BY 1`;

const USED = 'SELECT used FROM rate_windows WHERE connector_id = ? AND per_ms = ? AND window_start = ?';

export function addConnectorMinutes(db: Database.Database, rows: ConnectorMinute[]): void {
  const add = prepared(db, ADD);
  db.transaction(() => {
    for (const r of rows)
      add.run(r.connectorId, r.minute, r.ok, r.connection, r.timeout, r.http4xx, r.http5xx, r.latencySumMs, r.latencyMaxMs, ...r.bands);
  }).immediate();
}

export function deleteConnectorMinutesBefore(db: Database.Database, before: number, limit: number): number {
  return prepared(db, DELETE).run(before, limit).changes;
}

export function readConnectorMinutes(
  db: Database.Database,
  connectorId: string,
  from: number,
  to: number,
  bucketMs: number,
): ConnectorMinute[] {
  const rows = prepared(db, READ).all(from, from, bucketMs, bucketMs, connectorId, from, to) as Array<Record<string, number>>;
  return rows.map((r) => ({
    connectorId,
    minute: r.minute!,
    ok: r.ok!,
    connection: r.connection!,
    timeout: r.timeout!,
    http4xx: r.http4xx!,
    http5xx: r.http5xx!,
    latencySumMs: r.latency_sum!,
    latencyMaxMs: r.latency_max!,
    bands: [r.b0!, r.b1!, r.b2!, r.b3!, r.b4!],
  }));
}

export function rateWindowsUsed(
  db: Database.Database,
  connectorId: string,
  windows: ReadonlyArray<{ perMs: number; start: number }>,
): number[] {
  const used = prepared(db, USED);
  return windows.map((w) => (used.get(connectorId, w.perMs, w.start) as { used: number } | undefined)?.used ?? 0);
}
