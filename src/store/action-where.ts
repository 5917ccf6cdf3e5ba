// The WHERE clause of action lists and counts, built from a filter, for either store: they differ
// only in how a parameter is written (`?` or `$n`) and how a boolean is bound.

import type { ActionFilter } from './types.ts';
import { containsPattern } from './rows.ts';

export interface Dialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  bool(b: boolean): unknown;
  /** The input column as text, for a substring search. */
  inputText?: string;
  /**
   * LIKE itself ignores case (SQLite's, for ASCII only), so neither side is lowered: SQLite's lower()
   * is ASCII-only too, and a pattern lowered in JavaScript missed the text's own capitals beyond ASCII
   * ("Émile" searched for "émile" in "Émile" and found nothing).
   */
  likeIgnoresCase?: boolean;
}

export function actionWhere(
  f: Omit<ActionFilter, 'limit'> & { before?: string; atOrAbove?: string },
  d: Dialect,
): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown): void => {
    if (v === undefined) return;
    params.push(v);
    clauses.push(sql(d.placeholder(params.length)));
  };
  // Within a window of ids (the embedded store's text scan, the only user of atOrAbove), the id range
  // alone may choose the index: SQLite took the queue's index (queue, state) instead and read every
  // action of the queue in each window. A unary + keeps a column out of index choice (SQLite only).
  const c = (col: string): string => (f.atOrAbove !== undefined ? `+${col}` : col);
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
  for (const [col, v] of columns) add((p) => `${c(col)} = ${p}`, v);
  if (f.unassigned === true) clauses.push(`${c('assignee')} IS NULL`);
  if (f.actionTypeIds !== undefined) {
    if (f.actionTypeIds.length === 0) clauses.push('1 = 0');
    else {
      const ps = f.actionTypeIds.map((id) => (params.push(id), d.placeholder(params.length)));
      clauses.push(`${c('action_type_id')} IN (${ps.join(', ')})`);
    }
  }
  if (f.text !== undefined && f.text !== '') {
    // LIKE with the pattern's own wildcards escaped, so a search for "50%" means those characters.
    const pattern = containsPattern(d.likeIgnoresCase ? f.text : f.text.toLowerCase());
    const lower = (col: string): string => (d.likeIgnoresCase ? col : `lower(${col})`);
    params.push(pattern);
    const p1 = d.placeholder(params.length);
    params.push(pattern);
    const p2 = d.placeholder(params.length);
    const inCases = (f.textCaseIds ?? []).map((id) => (params.push(id), d.placeholder(params.length)));
    const ofCases = inCases.length > 0 ? ` OR case_id IN (${inCases.join(', ')})` : '';
    clauses.push(
      `(${lower(d.inputText ?? 'input')} LIKE ${p1} ESCAPE '\\' OR ${lower('external_reference')} LIKE ${p2} ESCAPE '\\'${ofCases})`,
    );
  }
  // Both served by the partial index actions_work_due (a comparison implies its IS NOT NULL).
  add((p) => `${c('work_due_at')} < ${p}`, f.dueBefore);
  if (f.overdueAt !== undefined) {
    add((p) => `${c('work_due_at')} < ${p}`, f.overdueAt);
    // To Do or In Progress, said as "neither" so that no state index is taken over the due time's: the
    // open tasks of a big backlog are many, the overdue ones few.
    clauses.push(`${c('state')} NOT IN ('waiting', 'closed')`);
  }
  add((p) => `id < ${p}`, f.before);
  add((p) => `id >= ${p}`, f.atOrAbove);
  if (f.order === 'due') {
    clauses.push('work_due_at IS NOT NULL');
    if (f.afterDue !== undefined) {
      const [at, same, id] = [f.afterDue.at, f.afterDue.at, f.afterDue.id].map((v) => (params.push(v), d.placeholder(params.length)));
      clauses.push(`(work_due_at > ${at} OR (work_due_at = ${same} AND id > ${id}))`);
    }
    if (f.dueUpTo !== undefined) {
      const [at, same, id] = [f.dueUpTo.at, f.dueUpTo.at, f.dueUpTo.id].map((v) => (params.push(v), d.placeholder(params.length)));
      clauses.push(`(work_due_at < ${at} OR (work_due_at = ${same} AND id <= ${id}))`);
    }
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The ORDER BY of an action list (within `alias.` when given): newest first, or the earliest due first. */
export function actionOrder(f: Pick<ActionFilter, 'order'>, alias = ''): string {
  return f.order === 'due' ? `${alias}work_due_at, ${alias}id` : `${alias}id DESC`;
}
