// POST /v1/bulk-replays: retry or close every action matching a filter, or count them first (dryRun);
// an Idempotency-Key makes a run safe to repeat.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../api/user.ts';
import { IdempotencyKeyHeaders, idempotencyKeyOf } from '../api/idempotency-key.ts';
import { BulkReplayBody, BulkReplayReportSchema } from './schemas.ts';
import type { BulkReplayService } from './service.ts';
import { OPERATORS } from '../api/roles.ts';

export const bulkReplayRoutes =
  (replays: BulkReplayService): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/bulk-replays',
      {
        config: { roles: OPERATORS },
        schema: { tags: ['bulk replays'], headers: IdempotencyKeyHeaders, body: BulkReplayBody, response: { 200: BulkReplayReportSchema } },
      },
      async (req) => replays.replay(req.body, userOf(req), idempotencyKeyOf(req.headers['idempotency-key'], userOf(req))),
    );
  };
