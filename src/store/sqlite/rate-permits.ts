// Fixed-window rate permits, from every window of a connector at once, in one immediate transaction
// so several processes sharing the file never overshoot. The window arithmetic is src/limits/windows.ts.

import type Database from 'better-sqlite3';
import type { RatePermitGrant, RatePermitRequest } from '../types.ts';
import { grantable, retryAt, windowStart } from '../../limits/windows.ts';
import { prepared } from './statements.ts';

const USED = 'SELECT used FROM rate_windows WHERE connector_id = ? AND per_ms = ? AND window_start = ?';
const TAKE =
  'INSERT INTO rate_windows (connector_id, per_ms, window_start, used) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, per_ms, window_start) DO UPDATE SET used = used + excluded.used';
/** Windows that ended a minute ago are no use to anyone; swept now and then rather than on every call. */
const SWEEP = 'DELETE FROM rate_windows WHERE window_start + per_ms < ?';

export function acquireRatePermits(db: Database.Database, r: RatePermitRequest): RatePermitGrant {
  const used = prepared(db, USED);
  const take = prepared(db, TAKE);
  return db
    .transaction((): RatePermitGrant => {
      const windows = r.limits.map((l) => {
        const start = windowStart(r.now, l.perMs);
        return { ...l, start, used: (used.get(r.connectorId, l.perMs, start) as { used: number } | undefined)?.used ?? 0 };
      });
      const granted = grantable(r.want, windows);
      if (granted > 0) for (const w of windows) take.run(r.connectorId, w.perMs, w.start, granted);
      if (Math.random() < 0.01) prepared(db, SWEEP).run(r.now - 60_000);
      return { granted, retryAt: retryAt(r.now, granted, r.want, windows) };
    })
    .immediate();
}
