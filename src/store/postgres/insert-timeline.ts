// Timeline entries of actions, written inside the caller's transaction (action writes, launches,
// allocations) in one statement.

import type { PoolClient } from 'pg';
import type { TimelineEntry } from '../../lifecycle/action.ts';

const TIMELINE = `
INSERT INTO timeline (action_id, at, actor, kind, message, data)
SELECT t.action_id, t.at, t.actor, t.kind, t.message, t.data
  FROM jsonb_to_recordset($1::jsonb) AS t(ord integer, action_id text, at bigint, actor text, kind text, message text, data jsonb)
 ORDER BY t.ord`;

/** The entries as the recordset TIMELINE (and the one-statement write) reads. */
export function timelineJson(entries: Array<TimelineEntry & { actionId: string }>): string {
  return JSON.stringify(
    entries.map((e, ord) => ({
      ord,
      action_id: e.actionId,
      at: e.at,
      actor: e.actor,
      kind: e.kind,
      message: e.message,
      data: e.data ?? null,
    })),
  );
}

export async function insertTimeline(client: PoolClient, entries: Array<TimelineEntry & { actionId: string }>): Promise<void> {
  if (entries.length === 0) return;
  await client.query({ name: 'callout_insert_timeline', text: TIMELINE, values: [timelineJson(entries)] });
}
