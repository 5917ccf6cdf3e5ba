// In-flight slots of a connector: taken up to its maximum in one immediate transaction (so processes
// sharing the file never exceed it), freed on release or when their lease ends.

import type Database from 'better-sqlite3';
import type { ConcurrencyRequest } from '../types.ts';
import { prepared } from './statements.ts';

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
