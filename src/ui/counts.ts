// GET /v1/actions/counts: how many actions are in each state, waiting phase, To Do reason and
// resolution, under the same filters as the list, so each count can be a filter chip. Each number
// is one COUNT on the (state, id) index narrowed by the filter: cheap on large stores (see docs/ui.md).
// A text search (`q`) reads every action instead; the embedded store counts it in windows with a time
// budget, as the list searches, and says `more` when it stopped there (store/sqlite/list-actions.ts).

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import { PHASES, REASONS, RESOLUTIONS, STATES } from '../lifecycle/states.ts';
import type { ActionCounts, CountsFilter } from '../store/types.ts';
import { userOf } from '../api/user.ts';
import { queryValidator } from '../api/query.ts';
import { PEOPLE } from '../api/roles.ts';
import { ActionListQuery } from '../actions/schemas.ts';
import type { WorkQuery } from '../actions/work-filter.ts';

/** The list's filters but the state words (each count is one): its schema, so both read them alike. */
export const CountsQuery = Type.Omit(ActionListQuery, ['state', 'phase', 'reason', 'resolution', 'before', 'limit'], {
  additionalProperties: false,
});

/** The counts under a filter (the work list's, read by workFilter). */
export function actionCounts(callout: Pick<Callout, 'store'>, f: CountsFilter): Promise<ActionCounts> {
  return callout.store.countActionsByState(f);
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
    more: Type.Boolean({
      description:
        'true when a text search (`q`) stopped at its time budget before reading every action: each number counts those found so far, and more may match',
    }),
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
