// GET /v1/actions/counts: how many actions are in each state, waiting phase, To Do reason and
// resolution, under the same filters as the list, so each count can be a filter chip. Each number
// is one COUNT on the (state, id) index narrowed by the filter: cheap on large stores (see docs/ui.md).

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import type { ActionFilter } from '../store/types.ts';
import { userOf } from '../api/user.ts';
import { queryValidator } from '../api/query.ts';
import { PEOPLE } from '../api/roles.ts';
import { ActionListQuery } from '../actions/schemas.ts';
import type { WorkQuery } from '../actions/work-filter.ts';

/** The list's filters but the state words (each count is one): its schema, so both read them alike. */
export const CountsQuery = Type.Omit(ActionListQuery, ['state', 'phase', 'reason', 'resolution', 'before', 'limit'], {
  additionalProperties: false,
});

type Filter = Omit<ActionFilter, 'limit' | 'before' | 'state' | 'phase' | 'reason' | 'resolution'>;

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
        validatorCompiler: queryValidator,
      },
      async (req) => {
        // `assignee=me` as in GET /v1/actions: the user the caller acts as.
        return actionCounts(callout, await callout.actions.workFilter(req.query as WorkQuery, userOf(req)));
      },
    );
  };
