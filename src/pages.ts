// Pages of lists (actions, cases): newest first, each page's `next` the id to pass as `before` for the
// following one.

import { ValidationError } from './errors.ts';
import { isId } from './ids.ts';

/**
 * A cursor that is not an id was not given by a page: refused, rather than a list that silently
 * starts somewhere (any string compares with the ids).
 */
export function checkCursor(before: string | undefined): void {
  if (before !== undefined && !isId(before))
    throw new ValidationError([{ field: 'before', message: 'is not an id: pass the `next` of the previous page' }]);
}
