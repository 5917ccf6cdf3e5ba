// The integration log's rows as the rules see them, shared by both stores.

import type { IntegrationLogEntry } from '../integrated-queues/rules.ts';

export function integrationEntryFromRow(r: Record<string, unknown>): IntegrationLogEntry {
  return {
    requestType: r.request_type as IntegrationLogEntry['requestType'],
    direction: r.direction as IntegrationLogEntry['direction'],
    at: Number(r.at),
    payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    result: r.result as string,
    actionId: (r.action_id as string | null) ?? null,
    queue: r.queue as string,
    // Only once known: an entry under way, or inbound, reads as it did before outcomes were kept.
    ...(r.outcome != null ? { outcome: r.outcome as NonNullable<IntegrationLogEntry['outcome']> } : {}),
  };
}

/** An entry's values for its INSERT, in the column order both stores' statements name them (task first). */
export function integrationEntryValues(taskId: string | null, e: IntegrationLogEntry): unknown[] {
  return [taskId, e.requestType, e.direction, e.at, JSON.stringify(e.payload), e.result, e.actionId, e.queue, e.outcome ?? null];
}
