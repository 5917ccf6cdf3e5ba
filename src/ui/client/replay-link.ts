// What the work list needs of bulk replay, apart from its screen (which is fetched on first use,
// later-screens.ts): the filter a replay takes, and the link to its form for the list's filters.

import { qs } from './router.ts';

/** The filter the API takes; all but `timeField` narrow it (the API wants at least one). */
export const FILTER_KEYS = [
  'connector',
  'actionType',
  'state',
  'reason',
  'resolution',
  'queue',
  'caseId',
  'since',
  'until',
  'timeField',
] as const;
export const NARROWING = FILTER_KEYS.filter((k) => k !== 'timeField');
/** Work list filters a bulk replay cannot narrow by: a list filtered by one of them is not a set a replay can act on. */
const WORK_ONLY = ['phase', 'externalReference', 'assignee', 'unassigned', 'escalated', 'q'];

/**
 * The replay form for the work list's filters, or nothing when the list is not a set a replay can act
 * on exactly: a filter the replay does not take (phase, text, …), or none that narrows. Close: To Do only.
 */
export function replayHref(f: Record<string, string | undefined>, operation: 'retry' | 'close'): string | undefined {
  if (WORK_ONLY.some((k) => f[k]) || !NARROWING.some((k) => f[k])) return undefined;
  if (operation === 'close' && f.state !== 'todo') return undefined;
  return `/ui/replays${qs({ ...Object.fromEntries(NARROWING.map((k) => [k, f[k]])), operation })}`;
}

/** The work list's filters a replay cannot narrow by, when it has others it can: said beside the list, instead of the controls. */
export function replayCannotUse(f: Record<string, string | undefined>): string[] {
  return NARROWING.some((k) => f[k]) ? WORK_ONLY.filter((k) => f[k]) : [];
}
