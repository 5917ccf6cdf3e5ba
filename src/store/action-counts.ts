// The work list's counts (GET /v1/actions/counts) for either store: matching actions by state, and
// within waiting, todo and closed by phase, reason and resolution. Without a text search each is one
// COUNT on the (state, id) index narrowed by the filter; the embedded store counts a text search in
// windows instead (sqlite/list-actions.ts), tallying each window's rows with `tally`.

import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import type { ActionCounts, ActionFilter, CountsFilter } from './types.ts';

const zeros = <K extends string>(keys: Record<string, K>): Record<K, number> =>
  Object.fromEntries(Object.values(keys).map((k) => [k, 0])) as Record<K, number>;

export const noCounts = (): ActionCounts => ({
  states: zeros(STATES),
  phases: zeros(PHASES),
  reasons: zeros(REASONS),
  resolutions: zeros(RESOLUTIONS),
  more: false,
});

/** The 16 COUNTs, each `count` of the filter and one state word (a phase, reason or resolution within its state). */
export async function countEach(
  f: CountsFilter,
  count: (f: Omit<ActionFilter, 'limit' | 'before'>) => Promise<number>,
): Promise<ActionCounts> {
  const each = async <K extends string>(keys: Record<string, K>, extra: (k: K) => Partial<ActionFilter>): Promise<Record<K, number>> =>
    Object.fromEntries(await Promise.all(Object.values(keys).map(async (k) => [k, await count({ ...f, ...extra(k) })] as const))) as Record<
      K,
      number
    >;
  const [states, phases, reasons, resolutions] = await Promise.all([
    each(STATES, (state) => ({ state })),
    each(PHASES, (phase) => ({ state: 'waiting', phase })),
    each(REASONS, (reason) => ({ state: 'todo', reason })),
    each(RESOLUTIONS, (resolution) => ({ state: 'closed', resolution })),
  ]);
  return { states, phases, reasons, resolutions, more: false };
}

/** Adds `n` actions of a state (and phase, reason, resolution) to `c`, as countEach would have counted them. */
export function tally(
  c: ActionCounts,
  r: { state: string; phase: string | null; reason: string | null; resolution: string | null },
  n: number,
): void {
  const add = (m: Record<string, number>, k: string | null): void => {
    if (k !== null && k in m) m[k]! += n;
  };
  add(c.states, r.state);
  if (r.state === STATES.waiting) add(c.phases, r.phase);
  if (r.state === STATES.todo) add(c.reasons, r.reason);
  if (r.state === STATES.closed) add(c.resolutions, r.resolution);
}
