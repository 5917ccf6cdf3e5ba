// Timeline entries of actions, written inside the caller's transaction (action writes, launches,
// allocations) in one statement.

import type { PoolClient } from 'pg';
import type { TimelineEntry } from '../../lifecycle/action.ts';

const TIMELINE = `
INSERT INTO timeline (action_id, at, actor, kind, message, data)
SELECT t.action_id, t.at, t.actor, t.kind, t.message, t.data
  FROM jsonb_to_recordset($1::jsonb) AS t(ord integer, action_id text, at bigint, actor text, kind text, message text, data jsonb)
 ORDER BY t.ord`;

const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** One entry as a recordset element, written as text directly (no object per entry: this runs for every outcome). */
const entryJson = (ord: number, actionId: string, e: TimelineEntry): string =>
  `{"ord":${ord},"action_id":${actionId},"at":${num(e.at)},"actor":${JSON.stringify(e.actor)},"kind":${JSON.stringify(e.kind)},"message":${JSON.stringify(e.message)},"data":${e.data == null ? 'null' : JSON.stringify(e.data)}}`;

/** The entries as the recordset TIMELINE (and the one-statement write) reads. */
export function timelineJson(entries: Array<TimelineEntry & { actionId: string }>): string {
  return `[${entries.map((e, ord) => entryJson(ord, JSON.stringify(e.actionId), e)).join(',')}]`;
}

/** The timeline entries of a batch of writes, in order, as timelineJson would write them. */
export function writesTimelineJson(writes: ReadonlyArray<{ action: { id: string }; timeline: TimelineEntry[] }>): string {
  const parts: string[] = [];
  for (const w of writes) {
    const id = JSON.stringify(w.action.id);
    for (const e of w.timeline) parts.push(entryJson(parts.length, id, e));
  }
  return `[${parts.join(',')}]`;
}

export async function insertTimeline(client: PoolClient, entries: Array<TimelineEntry & { actionId: string }>): Promise<void> {
  if (entries.length === 0) return;
  await client.query({ name: 'callout_insert_timeline', text: TIMELINE, values: [timelineJson(entries)] });
}
