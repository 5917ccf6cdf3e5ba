// The WHERE clause of action lists and counts, built from a filter.

import type { ActionFilter } from '../types.ts';

export function actionWhere(f: Omit<ActionFilter, 'limit'> & { before?: string }): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: unknown): void => {
    if (v === undefined) return;
    clauses.push(`${col} = ?`);
    params.push(v);
  };
  eq('state', f.state);
  eq('phase', f.phase);
  eq('reason', f.reason);
  eq('resolution', f.resolution);
  eq('action_type_id', f.actionTypeId);
  eq('case_id', f.caseId);
  eq('queue', f.queue);
  eq('assignee', f.assignee);
  eq('external_reference', f.externalReference);
  if (f.escalated !== undefined) eq('escalated', f.escalated ? 1 : 0);
  if (f.before !== undefined) {
    clauses.push('id < ?');
    params.push(f.before);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
