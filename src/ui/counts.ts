// GET /v1/actions/counts: how many actions are in each state, waiting phase, To Do reason and
// resolution, under the same filters as the list, so each count can be a filter chip. Each number
// is one COUNT on the (state, id) index narrowed by the filter: cheap on large stores (see docs/ui.md).

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import { Problems } from '../errors.ts';
import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import type { ActionFilter } from '../store/types.ts';
import { userOf } from '../api/user.ts';
import { PEOPLE } from '../api/roles.ts';
import { checkDueBefore } from '../tasks/due.ts';

export const CountsQuery = Type.Object(
  {
    actionType: Type.Optional(Type.String({ maxLength: 200 })),
    connector: Type.Optional(Type.String({ maxLength: 200 })),
    q: Type.Optional(
      Type.String({ maxLength: 200, description: "text in the input JSON, the external reference, or its case's title or data (a scan)" }),
    ),
    caseId: Type.Optional(Type.String({ maxLength: 200 })),
    queue: Type.Optional(Type.String({ maxLength: 200 })),
    assignee: Type.Optional(Type.String({ maxLength: 200, description: '"me": the user the caller acts as' })),
    unassigned: Type.Optional(Type.String({ description: 'true: only actions nobody is assigned to' })),
    externalReference: Type.Optional(Type.String({ maxLength: 500 })),
    escalated: Type.Optional(Type.String()),
    due: Type.Optional(Type.String({ description: 'overdue: only To Do and In Progress actions whose dueAt has passed' })),
    dueBefore: Type.Optional(
      Type.String({ maxLength: 64, description: 'only actions whose `dueAt` is before this date-time with a time zone, as on the list' }),
    ),
  },
  { additionalProperties: false },
);

type Filter = Omit<ActionFilter, 'limit' | 'before' | 'state' | 'phase' | 'reason' | 'resolution'>;

async function filterOf(callout: Callout, q: Record<string, string | undefined>): Promise<Filter> {
  const p = new Problems();
  const f: Filter = {};
  if (q.actionType !== undefined) {
    const t = await callout.registry.actionType(q.actionType).catch(() => undefined);
    if (!t) p.add('actionType', `no action type ${JSON.stringify(q.actionType)} exists`);
    else f.actionTypeId = t.compiled.id;
  }
  if (q.connector !== undefined) {
    const c = await callout.registry.connector(q.connector).catch(() => undefined);
    if (!c) p.add('connector', `no connector ${JSON.stringify(q.connector)} exists`);
    else {
      await callout.registry.refresh();
      f.actionTypeIds = callout.registry.actionTypeIdsOf(c.id);
    }
  }
  if (q.q !== undefined && q.q.trim() !== '') Object.assign(f, await callout.actions.textFilter(q.q.trim()));
  for (const k of ['caseId', 'queue', 'assignee', 'externalReference'] as const) if (q[k] !== undefined) f[k] = q[k];
  if (q.unassigned !== undefined) {
    if (q.unassigned !== 'true' && q.unassigned !== 'false') p.add('unassigned', 'must be true or false');
    else if (q.unassigned === 'true') f.unassigned = true;
  }
  if (q.escalated !== undefined) {
    if (q.escalated !== 'true' && q.escalated !== 'false') p.add('escalated', 'must be true or false');
    else f.escalated = q.escalated === 'true';
  }
  if (q.due !== undefined) {
    if (q.due !== 'overdue') p.add('due', 'must be overdue');
    else f.overdueAt = callout.clock.now();
  }
  // As the list reads it: a work list (or saved view) filtered by it counts what it lists.
  if (q.dueBefore !== undefined) {
    const at = checkDueBefore(p, q.dueBefore, 'dueBefore');
    if (at !== undefined) f.dueBefore = at;
  }
  p.throwIfAny();
  return f;
}

export async function actionCounts(callout: Callout, f: Filter): Promise<Record<string, Record<string, number>>> {
  const count = (extra: Partial<ActionFilter>): Promise<number> => callout.store.countActions({ ...f, ...extra });
  const each = async <K extends string>(keys: readonly K[], extra: (k: K) => Partial<ActionFilter>): Promise<Record<K, number>> =>
    Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await count(extra(k))] as const))) as Record<K, number>;
  const [states, phases, reasons, resolutions] = await Promise.all([
    each(Object.values(STATES), (state) => ({ state })),
    each(Object.values(PHASES), (phase) => ({ state: 'waiting', phase })),
    each(Object.values(REASONS), (reason) => ({ state: 'todo', reason })),
    each(Object.values(RESOLUTIONS), (resolution) => ({ state: 'closed', resolution })),
  ]);
  return { states, phases, reasons, resolutions };
}

const Counts = (words: readonly string[], of: string) =>
  Type.Object(Object.fromEntries(words.map((w) => [w, Type.Integer({ minimum: 0 })])), { additionalProperties: false, description: of });

/** Matching actions by state word, and within Waiting, To Do and Closed by phase, reason and resolution. */
const CountsAnswer = Type.Object(
  {
    states: Counts(Object.values(STATES), 'by state'),
    phases: Counts(Object.values(PHASES), 'waiting actions by phase'),
    reasons: Counts(Object.values(REASONS), 'To Do actions by reason'),
    resolutions: Counts(Object.values(RESOLUTIONS), 'closed actions by resolution'),
  },
  { additionalProperties: false },
);

export const countRoutes =
  (callout: Callout): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/v1/actions/counts',
      // The work list's counts: a person's or a queue's workload at a glance, so for people, as the dashboard is.
      {
        config: { roles: PEOPLE },
        schema: {
          tags: ['actions'],
          summary: 'Counts per state, phase, reason and resolution',
          querystring: CountsQuery,
          response: { 200: CountsAnswer },
        },
      },
      async (req) => {
        const q = req.query as Record<string, string | undefined>;
        // `assignee=me` as in GET /v1/actions: the user the caller acts as.
        return actionCounts(callout, await filterOf(callout, q.assignee === 'me' ? { ...q, assignee: userOf(req) } : q));
      },
    );
  };
