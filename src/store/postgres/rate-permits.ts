// Fixed-window rate permits, from every window of a connector at once, in one transaction holding the
// connector's advisory lock, so nodes asking at once never overshoot. The window arithmetic is
// src/limits/windows.ts. (SQLite's immediate transaction locks the whole file; here only one
// connector's counters wait.)

import type { Pool } from 'pg';
import type { RatePermitGrant, RatePermitRequest } from '../types.ts';
import { grantable, retryAt, windowStart } from '../../limits/windows.ts';
import { inTransaction, lockConnector } from './transaction.ts';

// Every window in one statement each way (SQLite runs one point query per window instead).
const USED = `SELECT per_ms, window_start, used FROM rate_windows WHERE connector_id = $1 AND per_ms = ANY($2::bigint[]) AND window_start = ANY($3::bigint[])`;

const TAKE = `
INSERT INTO rate_windows (connector_id, per_ms, window_start, used)
SELECT $1, w.per_ms, w.window_start, $4 FROM unnest($2::bigint[], $3::bigint[]) AS w(per_ms, window_start)
    ON CONFLICT (connector_id, per_ms, window_start) DO UPDATE SET used = rate_windows.used + excluded.used`;

/** Windows that ended a minute ago are no use to anyone; swept now and then rather than on every call. */
const SWEEP = 'DELETE FROM rate_windows WHERE window_start + per_ms < $1';

export async function acquireRatePermits(pool: Pool, r: RatePermitRequest): Promise<RatePermitGrant> {
  return inTransaction(pool, async (client): Promise<RatePermitGrant> => {
    await lockConnector(client, 'rate', r.connectorId);
    const starts = r.limits.map((l) => windowStart(r.now, l.perMs));
    const perMs = r.limits.map((l) => l.perMs);
    const rows = (
      await client.query<{ per_ms: string; window_start: string; used: number }>({
        name: 'callout_rate_used',
        text: USED,
        values: [r.connectorId, perMs, starts],
      })
    ).rows;
    const windows = r.limits.map((l, i) => ({
      ...l,
      used: rows.find((row) => Number(row.per_ms) === l.perMs && Number(row.window_start) === starts[i])?.used ?? 0,
    }));
    const granted = grantable(r.want, windows);
    if (granted > 0) await client.query({ name: 'callout_rate_take', text: TAKE, values: [r.connectorId, perMs, starts, granted] });
    if (Math.random() < 0.01) await client.query(SWEEP, [r.now - 60_000]);
    return { granted, retryAt: retryAt(r.now, granted, r.want, windows) };
  });
}
