// A process's bulk launch may name the columns whose cells become each case's title and owner
// (titleColumn, ownerColumn). Those cells are taken out of the case data; the rest of the row is the
// data, as without them. A title is required in every row (trimmed, 1 to 500 characters, as a case's
// title is); an empty owner cell leaves the case without an owner, and an owner who could not see
// the case's escalations is refused by the case service when the row launches.

import type { FieldProblem } from '../errors.ts';
import { isBlank } from '../validation/blank.ts';

export interface CaseColumns {
  title: string | null;
  owner: string | null;
}

/** A case title's limit (the cases API's). */
export const MAX_TITLE = 500;
/** A case owner's limit (the cases API's). */
export const MAX_OWNER = 200;

/** Characters as the cases API's schema counts them (code points: an emoji is one, not two UTF-16 units). */
const chars = (t: string): number => {
  let n = 0;
  for (const _ of t) n++;
  return n;
};

/**
 * The row's cell of `column` as text: CSV cells are text already; a JSON row's must be a string.
 * Undefined when absent or blank (invisible characters only, as isBlank says). Its own cell only: a
 * column named "constructor" whose cell is empty (no key) is absent, not Object's constructor.
 */
function text(input: Record<string, unknown>, column: string): string | undefined | { notText: true } {
  const value = Object.hasOwn(input, column) ? input[column] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return { notText: true };
  const t = value.trim();
  return isBlank(t) ? undefined : t;
}

/** What is wrong with a row's title and owner cells (each named by its column), if anything. */
export function caseCellProblems(input: Record<string, unknown>, cols: CaseColumns): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (cols.title !== null) {
    const t = text(input, cols.title);
    if (t === undefined) problems.push({ field: cols.title, message: "is empty: this column is each case's title (titleColumn)" });
    else if (typeof t !== 'string')
      problems.push({ field: cols.title, message: "must be text: this column is each case's title (titleColumn)" });
    else if (chars(t) > MAX_TITLE)
      problems.push({ field: cols.title, message: `is ${chars(t)} characters; a case's title (titleColumn) is at most ${MAX_TITLE}` });
  }
  if (cols.owner !== null && cols.owner !== cols.title) {
    const o = text(input, cols.owner);
    if (o !== undefined && typeof o !== 'string')
      problems.push({ field: cols.owner, message: "must be text, a user's name: this column is each case's owner (ownerColumn)" });
    else if (o !== undefined && chars(o) > MAX_OWNER)
      problems.push({ field: cols.owner, message: `is ${chars(o)} characters; a case's owner (ownerColumn) is at most ${MAX_OWNER}` });
  }
  return problems;
}

/** A checked row as the case it launches: its title and owner (trimmed), and the other cells as data. */
export function splitCaseRow(
  input: Record<string, unknown>,
  cols: CaseColumns,
): { title?: string; owner?: string; data: Record<string, unknown> } {
  const data = { ...input };
  const take = (col: string | null): string | undefined => {
    if (col === null) return undefined;
    const t = text(input, col);
    delete data[col];
    return typeof t === 'string' ? t : undefined;
  };
  const title = take(cols.title);
  const owner = take(cols.owner);
  return { ...(title !== undefined ? { title } : {}), ...(owner !== undefined ? { owner } : {}), data };
}
