// The WHERE clause of action lists and counts, built from a filter.

import type { ActionFilter } from '../types.ts';

/** Placeholders are numbered from $1; callers append their own parameters after `params`. */
export function actionWhere(f: Omit<ActionFilter, 'limit'> & { before?: string }): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: unknown): void => {
    if (v === undefined) return;
    params.push(v);
    clauses.push(`${col} = $${params.length}`);
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
  eq('escalated', f.escalated);
  if (f.before !== undefined) {
    params.push(f.before);
    clauses.push(`id < $${params.length}`);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
