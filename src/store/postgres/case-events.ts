// The case outbox rows that action writes cause (a change of a case's action), written in the
// transaction of those writes so the case moves on even when the node dies right after (write-actions.ts).

import type { PoolClient } from 'pg';
import type { CaseEventNotice } from '../effects.ts';

// Only cases that run a process have anyone to hear their actions' changes.
const ACTION_EVENTS = `
INSERT INTO case_outbox (case_id, event, created_at)
SELECT c.id, e.event, e.at
  FROM jsonb_to_recordset($1::jsonb) AS e(ord integer, case_id text, event jsonb, at bigint)
  JOIN cases c ON c.id = e.case_id
 WHERE c.id = ANY($2::text[]) AND c.process IS NOT NULL
 ORDER BY e.ord`;

export async function insertCaseEvents(client: PoolClient, events: CaseEventNotice[]): Promise<void> {
  if (events.length === 0) return;
  await client.query({
    name: 'callout_insert_case_events',
    text: ACTION_EVENTS,
    values: [
      JSON.stringify(events.map((e, ord) => ({ ord, case_id: e.caseId, event: e.event, at: e.at }))),
      [...new Set(events.map((e) => e.caseId))],
    ],
  });
}
