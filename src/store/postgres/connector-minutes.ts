// Connector attempts per minute in PostgreSQL (engine/connector-stats.ts): each node adds its counts to
// a minute's row (one statement for the whole flush), the connector page reads them summed per bucket,
// old minutes go a batch at a time.

import type { Pool } from 'pg';
import type { ConnectorMinute } from '../types.ts';
import { inTransaction } from './transaction.ts';

// Rows sorted by (connector, minute) by the caller: two nodes adding to the same minutes take the row
// locks in one order, so they wait for each other rather than deadlock.
const ADD = `INSERT INTO connector_minutes AS m (connector_id, minute, ok, failed_connection, failed_timeout, failed_4xx, failed_5xx,
    latency_sum_ms, latency_max_ms, under_100ms, under_300ms, under_1s, under_3s, over_3s)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::bigint[], $9::int[],
    $10::int[], $11::int[], $12::int[], $13::int[], $14::int[])
  ON CONFLICT (connector_id, minute) DO UPDATE SET ok = m.ok + excluded.ok,
    failed_connection = m.failed_connection + excluded.failed_connection, failed_timeout = m.failed_timeout + excluded.failed_timeout,
    failed_4xx = m.failed_4xx + excluded.failed_4xx, failed_5xx = m.failed_5xx + excluded.failed_5xx,
    latency_sum_ms = m.latency_sum_ms + excluded.latency_sum_ms, latency_max_ms = greatest(m.latency_max_ms, excluded.latency_max_ms),
    under_100ms = m.under_100ms + excluded.under_100ms, under_300ms = m.under_300ms + excluded.under_300ms,
    under_1s = m.under_1s + excluded.under_1s, under_3s = m.under_3s + excluded.under_3s, over_3s = m.over_3s + excluded.over_3s`;

const DELETE = `DELETE FROM connector_minutes WHERE ctid = ANY(ARRAY(SELECT ctid FROM connector_minutes WHERE minute < $1 LIMIT $2))`;

// Bucket starts counted from `from`: a 24 h window's quarter hours line up with its first.
const READ = `SELECT $1::bigint + ((minute - $1::bigint) / $2::bigint) * $2::bigint AS minute, sum(ok) AS ok,
    sum(failed_connection) AS connection, sum(failed_timeout) AS timeout, sum(failed_4xx) AS http4xx, sum(failed_5xx) AS http5xx,
    sum(latency_sum_ms) AS latency_sum, max(latency_max_ms) AS latency_max, sum(under_100ms) AS b0, sum(under_300ms) AS b1,
    sum(under_1s) AS b2, sum(under_3s) AS b3, sum(over_3s) AS b4
  FROM connector_minutes WHERE connector_id = $3 AND minute >= $1 AND minute < $4
  GROUP BY 1 ORDER BY 1`;

const USED = `SELECT w.i, coalesce(r.used, 0) AS used FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS w(per_ms, window_start, i)
  LEFT JOIN rate_windows r ON r.connector_id = $1 AND r.per_ms = w.per_ms AND r.window_start = w.window_start ORDER BY w.i`;

export async function addConnectorMinutes(pool: Pool, rows: ConnectorMinute[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: ConnectorMinute) => T): T[] => rows.map(f);
  const params = [
    col((r) => r.connectorId),
    col((r) => r.minute),
    col((r) => r.ok),
    col((r) => r.connection),
    col((r) => r.timeout),
    col((r) => r.http4xx),
    col((r) => r.http5xx),
    col((r) => r.latencySumMs),
    col((r) => r.latencyMaxMs),
    ...[0, 1, 2, 3, 4].map((i) => col((r) => r.bands[i] ?? 0)),
  ];
  await inTransaction(pool, async (c) => {
    await c.query({ name: 'callout_connector_minutes_add', text: ADD, values: params });
  });
}

export async function deleteConnectorMinutesBefore(pool: Pool, before: number, limit: number): Promise<number> {
  return (await pool.query(DELETE, [before, limit])).rowCount ?? 0;
}

export async function readConnectorMinutes(
  pool: Pool,
  connectorId: string,
  from: number,
  to: number,
  bucketMs: number,
): Promise<ConnectorMinute[]> {
  const rows = (await pool.query<Record<string, string>>(READ, [from, bucketMs, connectorId, to])).rows;
  return rows.map((r) => ({
    connectorId,
    minute: Number(r.minute),
    ok: Number(r.ok),
    connection: Number(r.connection),
    timeout: Number(r.timeout),
    http4xx: Number(r.http4xx),
    http5xx: Number(r.http5xx),
    latencySumMs: Number(r.latency_sum),
    latencyMaxMs: Number(r.latency_max),
    bands: [r.b0, r.b1, r.b2, r.b3, r.b4].map(Number),
  }));
}

export async function rateWindowsUsed(
  pool: Pool,
  connectorId: string,
  windows: ReadonlyArray<{ perMs: number; start: number }>,
): Promise<number[]> {
  if (windows.length === 0) return [];
  const rows = (await pool.query<{ used: string | number }>(USED, [connectorId, windows.map((w) => w.perMs), windows.map((w) => w.start)]))
    .rows;
  return rows.map((r) => Number(r.used));
}
