// A work item's due time as people give it (a task's `dueAt`, POST /v1/actions/{id}/due): a date-time
// with its zone, within the ten years either side of now that every time the engine keeps stays within.

import { Problems } from '../errors.ts';
import type { ActionFilter } from '../store/types.ts';
import { parseDateTime } from '../clock.ts';
import { MAX_DURATION_MS } from '../lifecycle/duration.ts';

export const DUE_HINT = 'must be a date-time with a time zone, e.g. 2026-12-01T09:00:00Z';

/** Epoch ms of a `dueBefore` filter (any date-time with its zone), or undefined with the problem added under `field`. */
export function checkDueBefore(p: Problems, text: unknown, field: string): number | undefined {
  const at = typeof text === 'string' && text.length <= 64 ? parseDateTime(text) : NaN;
  if (Number.isNaN(at)) return void p.add(field, DUE_HINT);
  return at;
}

/** Epoch ms of a due time (as `dueBefore`, and near now), or undefined with the problem added under `field`. */
export function checkDueAt(p: Problems, text: unknown, field: string, now: number): number | undefined {
  const at = checkDueBefore(p, text, field);
  if (at === undefined) return undefined;
  // Bounded as a launch's startAt is: a time shown and sorted must stay a date both stores keep.
  if (Math.abs(at - now) > MAX_DURATION_MS) return void p.add(field, 'must be within ten years of now');
  return at;
}

/**
 * The list filter of `due=overdue` (its work due before `now`, To Do or In Progress) and `dueBefore`;
 * a ValidationError naming `dueBefore` (after `prefix`, a saved view's `query.`) when it is no date-time.
 */
export function dueFilter(
  q: { due?: unknown; dueBefore?: unknown },
  now: number,
  prefix = '',
): Pick<ActionFilter, 'overdueAt' | 'dueBefore'> {
  const f: Pick<ActionFilter, 'overdueAt' | 'dueBefore'> = {};
  if (q.due === 'overdue') f.overdueAt = now;
  if (q.dueBefore !== undefined) {
    const p = new Problems();
    const at = checkDueBefore(p, q.dueBefore, `${prefix}dueBefore`);
    p.throwIfAny();
    f.dueBefore = at;
  }
  return f;
}
