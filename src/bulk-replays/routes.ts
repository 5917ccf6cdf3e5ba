// POST /v1/bulk-replays: retry or close every action matching a filter, or count them first (dryRun);
// an Idempotency-Key makes a run safe to repeat, and the `selection` a dry run answers makes the run act
// on exactly what that preview matched. GET /v1/bulk-replays: the runs, newest first (an operator's
// own; an admin's, anyone's). GET /v1/bulk-replays/{id}: a run's report again, a page of its items at
// a time, for the operator who ran it and for admins.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readerOf, userOf } from '../api/user.ts';
import { IdempotencyKeyHeaders, idempotencyKeyOf } from '../api/idempotency-key.ts';
import { BulkReplayBody, BulkReplayReportSchema, BulkReplayRunPage, BulkReplayRunSchema, RunListQuery, RunQuery } from './schemas.ts';
import { IdParams } from '../api/schemas.ts';
import { ValidationError } from '../errors.ts';
import type { BulkReplayService } from './service.ts';
import { OPERATORS } from '../api/roles.ts';
import { queryValidator } from '../api/query.ts';

export const bulkReplayRoutes =
  (replays: BulkReplayService): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/bulk-replays',
      {
        // 404: a `selection` that is not the caller's preview.
        config: { roles: OPERATORS, problems: [404] },
        schema: { tags: ['bulk replays'], headers: IdempotencyKeyHeaders, body: BulkReplayBody, response: { 200: BulkReplayReportSchema } },
      },
      async (req) => replays.replay(req.body, userOf(req), idempotencyKeyOf(req.headers['idempotency-key'], userOf(req))),
    );
    app.get(
      '/bulk-replays',
      {
        config: { roles: OPERATORS },
        schema: {
          tags: ['bulk replays'],
          summary: 'Bulk replay runs, newest first, without their items: your own, or for an admin everyone’s (kept 30 days)',
          querystring: RunListQuery,
          response: { 200: BulkReplayRunPage },
        },
        validatorCompiler: queryValidator,
      },
      async (req) => replays.listRuns(readerOf(req), req.query),
    );
    app.get(
      '/bulk-replays/:id',
      {
        config: { roles: OPERATORS },
        schema: { tags: ['bulk replays'], params: IdParams, querystring: RunQuery, response: { 200: BulkReplayRunSchema } },
      },
      async (req) => {
        const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
        if (limit !== undefined && (limit < 1 || limit > 10_000))
          throw new ValidationError([{ field: 'limit', message: 'must be from 1 to 10000' }]);
        return replays.getRun(req.params.id, readerOf(req), {
          ...(req.query.afterItem !== undefined ? { afterItem: Number(req.query.afterItem) } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
      },
    );
  };
