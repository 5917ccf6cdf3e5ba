// The work list's filter, read from its query in one place: the list (GET /v1/actions), its counts
// (GET /v1/actions/counts) and a saved work view's count read each parameter the same way. Each had
// its own reading once, and a filter one of them did not know listed every task or refused the query.

import type { Registry } from '../engine/registry.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ActionFilter, Store } from '../store/types.ts';
import { queueFilterProblem } from '../queues/named.ts';
import { dueFilter } from '../tasks/due.ts';
import type { ActionListQuery } from './schemas.ts';

/** The work list's filters: its query without the paging. */
export type WorkQuery = Omit<ActionListQuery, 'before' | 'limit'>;

export type WorkFilter = Omit<ActionFilter, 'limit' | 'before'>;

export interface WorkFilterDeps {
  registry: Pick<Registry, 'actionType' | 'connector' | 'actionTypeIdsOf' | 'refresh'>;
  now: number;
  /** The user who looks: `assignee=me` is their work. Without one, "me" is a user's name like any other. */
  viewer?: string;
  /** A text search's filter (the cases that hold the text are read). Without it, `q` is not read. */
  textFilter?: (text: string) => Promise<Pick<ActionFilter, 'text' | 'textCaseIds'>>;
  /** The queues, for a name that only differs in case from one's (refused, naming it). */
  queues?: Pick<Store, 'getQueue' | 'findQueue' | 'countActionsUpTo'>;
  /** Reads the action types again before a connector's are taken (created on another node meanwhile). */
  refresh?: () => Promise<unknown>;
  /** Before each field's name in a problem: a saved view's `query.`. */
  prefix?: string;
}

/** An action type, connector or queue the query names and that does not exist (now): a 422 naming each field. */
export class UnknownName extends ValidationError {
  constructor(readonly missing: Array<{ field: string; what: 'action type' | 'connector' | 'queue'; ref: string; message?: string }>) {
    super(missing.map((m) => ({ field: m.field, message: m.message ?? `no ${m.what} ${JSON.stringify(m.ref)} exists` })));
  }
}

export async function workFilter(q: WorkQuery, d: WorkFilterDeps): Promise<WorkFilter> {
  const prefix = d.prefix ?? '';
  const f: WorkFilter = dueFilter(q, d.now, prefix);
  for (const k of ['state', 'phase', 'reason', 'resolution', 'caseId', 'queue', 'externalReference', 'escalated'] as const)
    if (q[k] !== undefined) Object.assign(f, { [k]: q[k] });
  if (q.assignee !== undefined) f.assignee = q.assignee === 'me' && d.viewer !== undefined ? d.viewer : q.assignee;
  if (q.unassigned === true) f.unassigned = true;
  // Sorted by due time, the list holds only work that has one: its counts (a view's too) count that.
  if (q.sort === 'due') f.order = 'due';
  const missing: UnknownName['missing'] = [];
  if (q.actionType !== undefined) {
    const t = await found(() => d.registry.actionType(q.actionType!));
    if (t) f.actionTypeId = t.compiled.id;
    else missing.push({ field: `${prefix}actionType`, what: 'action type', ref: q.actionType });
  }
  if (q.connector !== undefined) {
    const c = await found(() => d.registry.connector(q.connector!));
    if (c) {
      await (d.refresh ?? (() => d.registry.refresh()))();
      f.actionTypeIds = d.registry.actionTypeIdsOf(c.id);
    } else missing.push({ field: `${prefix}connector`, what: 'connector', ref: q.connector });
  }
  if (q.queue !== undefined && d.queues) {
    const message = await queueFilterProblem(d.queues, q.queue);
    if (message) missing.push({ field: `${prefix}queue`, what: 'queue', ref: q.queue, message });
  }
  if (missing.length > 0) throw new UnknownName(missing);
  if (d.textFilter && q.q !== undefined && q.q.trim() !== '') Object.assign(f, await d.textFilter(q.q.trim()));
  return f;
}

/** What `get` finds, or undefined when it is not found. */
async function found<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
