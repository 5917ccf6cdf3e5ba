// The integration log's rows, shared by both stores: the entry as the rules see it, and its bound.

import type { IntegrationLogEntry } from '../integrated-queues/rules.ts';
import type { ActionWrite, NewAction } from './types.ts';

/** A task's change on an integrated queue: its guarded write, the log entry and the launch, all or nothing. */
export interface IntegrationWrite {
  write: ActionWrite;
  entry: IntegrationLogEntry;
  /** The action the exchange launches, stored under its launch key `integration:<task id>:<n>`. */
  launch: NewAction | null;
}

export function integrationEntryFromRow(r: Record<string, unknown>): IntegrationLogEntry {
  return {
    requestType: r.request_type as IntegrationLogEntry['requestType'],
    direction: r.direction as IntegrationLogEntry['direction'],
    at: Number(r.at),
    payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    result: r.result as string,
    actionId: (r.action_id as string | null) ?? null,
    queue: r.queue as string,
  };
}
