// Pages of lists (actions, cases, configuration): newest first, or by name where a name is the key
// (users, queues); each page's `next` the cursor to pass as `before` for the following one.

import { ValidationError } from './errors.ts';
import { isId } from './ids.ts';

/**
 * About how much JSON one page carries (inputs and outputs of actions, data and steps of cases): the
 * item that crosses it is the page's last, and `next` leads on. 500 items of 256 KB would otherwise be
 * a 125 MB answer, read and built on the event loop.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/**
 * A cursor that is not an id was not given by a page: refused, rather than a list that silently
 * starts somewhere (any string compares with the ids).
 */
export function checkCursor(before: string | undefined): void {
  if (before !== undefined && !isId(before))
    throw new ValidationError([{ field: 'before', message: 'is not an id: pass the `next` of the previous page' }]);
}

/** The query of a paged list, as its route reads it. */
export interface PageQuery {
  before?: string;
  limit?: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * A page's size: the default when none is given, else an integer from 1 to MAX_PAGE_SIZE. Routes check
 * it against their schema first; the library's callers reach the services directly, where -1 or 1.5
 * read differently on the two stores (SQLite's LIMIT -1 is no limit at all).
 */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new ValidationError([{ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }]);
  return limit;
}

/** A page's answer: `next` is the cursor of its last item while more may follow (null at the end). */
export function pageOf<R, V>(rows: R[], more: boolean, view: (r: R) => V, cursor: (r: R) => string): { items: V[]; next: string | null } {
  return { items: rows.map(view), next: more && rows.length > 0 ? cursor(rows[rows.length - 1]!) : null };
}

/**
 * A list keyed by name (users, queues) pages by name: its cursor is the last name of the page before,
 * so one that could be no name (`valid`) is refused by name, as an id-less cursor is on the others.
 */
export function checkNameCursor(before: string | undefined, valid: (name: string) => boolean): void {
  if (before !== undefined && !valid(before))
    throw new ValidationError([{ field: 'before', message: 'is not a name: pass the `next` of the previous page' }]);
}

/**
 * A page of work sorted by due time ends at an action's due time and id: its `next` is both
 * (`<epoch ms>.<id>`), the `before` of the page that goes on from it.
 */
export const dueCursor = (a: { workDueAt: number | null; id: string }): string => `${a.workDueAt}.${a.id}`;

/** The due time and id of a cursor dueCursor made; a ValidationError naming `before` for anything else. */
export function checkDueCursor(before: string | undefined): { at: number; id: string } | undefined {
  if (before === undefined) return undefined;
  const m = /^(\d{1,15})\.(.+)$/.exec(before);
  if (!m || !isId(m[2]!))
    throw new ValidationError([
      { field: 'before', message: 'is not a cursor of a list sorted by due time: pass the `next` of the previous page' },
    ]);
  return { at: Number(m[1]), id: m[2]! };
}
