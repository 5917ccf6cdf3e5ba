// Engine nodes and takeover: each node's heartbeat, and taking back the claims of nodes that died.

import type Database from 'better-sqlite3';
import { TAKEN_BACK_MESSAGE, type NodeRow, type TakeOver } from '../types.ts';
import { insertTimelineValues, timelineValues } from './insert-timeline.ts';
import { prepared } from './statements.ts';

const BEAT = `
INSERT INTO nodes (id, host, pid, started_at, heartbeat_at) VALUES (@id, @host, @pid, @startedAt, @heartbeatAt)
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`;

export function heartbeatNode(db: Database.Database, n: NodeRow): void {
  prepared(db, BEAT).run(n);
}

export function listNodes(db: Database.Database): NodeRow[] {
  return prepared(
    db,
    'SELECT id, host, pid, started_at AS startedAt, heartbeat_at AS heartbeatAt FROM nodes ORDER BY started_at',
  ).all() as NodeRow[];
}

// The claims of the dead become due now, as if their leases had ended; the version moves so that a
// write from a node wrongly thought dead finds the action changed (the guard), and their
// concurrency slots free at once. Orphans: claims whose owner has no node row (an older version's).
const CLAIMS = `SELECT id FROM actions WHERE lease_owner IN (SELECT value FROM json_each(@dead))`;
const ORPHANS = `SELECT id FROM actions WHERE lease_owner IS NOT NULL AND lease_owner NOT IN (SELECT id FROM nodes)`;
const RELEASE = `
UPDATE actions SET due_at = min(coalesce(due_at, @now), @now), lease_owner = NULL, version = version + 1
 WHERE id IN (SELECT value FROM json_each(@ids))`;

export function takeOver(db: Database.Database, t: TakeOver): string[] {
  return db
    .transaction((): string[] => {
      const dead = JSON.stringify(t.nodeIds);
      const ids = (prepared(db, CLAIMS).all({ dead }) as Array<{ id: string }>).map((r) => r.id);
      if (t.orphans) ids.push(...(prepared(db, ORPHANS).all() as Array<{ id: string }>).map((r) => r.id));
      const json = JSON.stringify(ids);
      if (ids.length > 0) {
        prepared(db, RELEASE).run({ now: t.now, ids: json });
        prepared(db, 'DELETE FROM concurrency_slots WHERE action_id IN (SELECT value FROM json_each(?))').run(json);
        const values: unknown[] = [];
        for (const id of ids) timelineValues(values, id, { at: t.now, actor: 'system', kind: 'message', message: TAKEN_BACK_MESSAGE });
        insertTimelineValues(db, values);
      }
      prepared(db, 'DELETE FROM nodes WHERE id IN (SELECT value FROM json_each(?))').run(dead);
      return ids;
    })
    .immediate();
}
