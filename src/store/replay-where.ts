// The WHERE clause of a bulk replay's filter, for either store: the action list's columns plus a set
// of action types (a connector's) and a time range on updatedAt or closedAt.

import { actionWhere, type Dialect } from './action-where.ts';
import type { ReplayFilter } from './bulk-schedule-types.ts';

export function replayWhere(f: ReplayFilter, d: ReplayDialect): { sql: string; params: unknown[] } {
  const base = actionWhere({ state: f.state, reason: f.reason, resolution: f.resolution, caseId: f.caseId, queue: f.queue }, d);
  const clauses = base.sql === '' ? [] : [base.sql.replace(/^WHERE /, '')];
  const params = [...base.params];
  const add = (sql: (p: string) => string, v: unknown): void => {
    params.push(v);
    clauses.push(sql(d.placeholder(params.length)));
  };
  // An empty list (a connector without action types) matches nothing, rather than everything.
  if (f.actionTypeIds !== undefined) {
    if (f.actionTypeIds.length === 0) clauses.push('1 = 0');
    else add((p) => `action_type_id IN (SELECT value FROM ${d.jsonList(p)})`, JSON.stringify(f.actionTypeIds));
  }
  if (f.ids !== undefined) add((p) => `id IN (SELECT value FROM ${d.jsonList(p)})`, JSON.stringify(f.ids));
  const col = f.timeField === 'closedAt' ? 'closed_at' : 'updated_at';
  if (f.since !== undefined) add((p) => `${col} >= ${p}`, f.since);
  if (f.until !== undefined) add((p) => `${col} < ${p}`, f.until);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export interface ReplayDialect extends Dialect {
  /** A table of one `value` column from a JSON array parameter. */
  jsonList(param: string): string;
}
