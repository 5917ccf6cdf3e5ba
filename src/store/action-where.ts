// The WHERE clause of action lists and counts, built from a filter, for either store: they differ
// only in how a parameter is written (`?` or `$n`) and how a boolean is bound.

import type { ActionFilter } from './types.ts';

export interface Dialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  bool(b: boolean): unknown;
}

export function actionWhere(f: Omit<ActionFilter, 'limit'> & { before?: string }, d: Dialect): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown): void => {
    if (v === undefined) return;
    params.push(v);
    clauses.push(sql(d.placeholder(params.length)));
  };
  const columns: Array<[string, unknown]> = [
    ['state', f.state],
    ['phase', f.phase],
    ['reason', f.reason],
    ['resolution', f.resolution],
    ['action_type_id', f.actionTypeId],
    ['case_id', f.caseId],
    ['queue', f.queue],
    ['assignee', f.assignee],
    ['external_reference', f.externalReference],
    ['escalated', f.escalated === undefined ? undefined : d.bool(f.escalated)],
  ];
  for (const [col, v] of columns) add((p) => `${col} = ${p}`, v);
  if (f.unassigned === true) clauses.push('assignee IS NULL');
  add((p) => `id < ${p}`, f.before);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
