// Connector limits in the embedded store: fixed-window rate permits and in-flight slots, each one
// immediate transaction so several processes sharing the file never overshoot.

import type Database from 'better-sqlite3';
import type { ConcurrencyRequest, RatePermitGrant, RatePermitRequest } from '../types.ts';
import { prepared } from './statements.ts';

export function acquireRatePermits(db: Database.Database, r: RatePermitRequest): RatePermitGrant {
  const get = prepared(db, 'SELECT used FROM rate_windows WHERE connector_id = ? AND per_ms = ? AND window_start = ?');
  const put = prepared(
    db,
    'INSERT INTO rate_windows (connector_id, per_ms, window_start, used) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, per_ms, window_start) DO UPDATE SET used = used + excluded.used',
  );
  return db
    .transaction((): RatePermitGrant => {
      const windows = r.limits.map((l) => {
        const start = Math.floor(r.now / l.perMs) * l.perMs;
        const used = (get.get(r.connectorId, l.perMs, start) as { used: number } | undefined)?.used ?? 0;
        return { ...l, start, free: Math.max(0, l.limit - used) };
      });
      const granted = Math.min(r.want, ...windows.map((w) => w.free));
      if (granted > 0) for (const w of windows) put.run(r.connectorId, w.perMs, w.start, granted);
      // The caller must wait until every window it exhausted has rolled over.
      const exhausted = windows.filter((w) => w.free <= granted);
      const retryAt = granted < r.want ? Math.max(...exhausted.map((w) => w.start + w.perMs)) : null;
      if (Math.random() < 0.01) prepared(db, 'DELETE FROM rate_windows WHERE window_start + per_ms < ?').run(r.now - 60_000);
      return { granted, retryAt };
    })
    .immediate();
}

export function acquireConcurrency(db: Database.Database, r: ConcurrencyRequest): string[] {
  return db
    .transaction((): string[] => {
      prepared(db, 'DELETE FROM concurrency_slots WHERE connector_id = ? AND until <= ?').run(r.connectorId, r.now);
      const busy = (prepared(db, 'SELECT count(*) AS n FROM concurrency_slots WHERE connector_id = ?').get(r.connectorId) as { n: number })
        .n;
      const take = r.actionIds.slice(0, Math.max(0, r.max - busy));
      const ins = prepared(db, 'INSERT OR REPLACE INTO concurrency_slots (connector_id, action_id, until) VALUES (?, ?, ?)');
      for (const id of take) ins.run(r.connectorId, id, r.until);
      return take;
    })
    .immediate();
}

export function releaseConcurrency(db: Database.Database, connectorId: string, actionIds: string[]): void {
  prepared(db, 'DELETE FROM concurrency_slots WHERE connector_id = ? AND action_id IN (SELECT value FROM json_each(?))').run(
    connectorId,
    JSON.stringify(actionIds),
  );
}
