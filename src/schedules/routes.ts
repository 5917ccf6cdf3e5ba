// /v1/schedules: builders create, change (pause/resume with { "paused": true|false }) and delete;
// every role reads them, with nextRunAt (the list pages, newest first).

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, Page, PageQuery } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { userOf } from '../api/user.ts';
import { ScheduleBody, SchedulePatch, ScheduleViewSchema, ScheduleWithTicksSchema } from './schemas.ts';
import type { ScheduleService } from './service.ts';
import { BUILDERS } from '../api/roles.ts';
import { created, noContent, sendCreated } from '../api/openapi.ts';
import { IfMatchSettingsHeaders, ifMatchSettings, withSettingsTag } from '../api/if-match.ts';

export const scheduleRoutes =
  (schedules: ScheduleService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['schedules'];
    app.post(
      '/schedules',
      {
        config: { roles: BUILDERS },
        schema: { tags, body: ScheduleBody, response: created('The schedule', { schema: ScheduleViewSchema }) },
      },
      async (req, reply) => sendCreated(reply, 'schedules', withSettingsTag(reply, await schedules.create(req.body, userOf(req)))),
    );
    app.get(
      '/schedules',
      { schema: { tags, querystring: PageQuery, response: { 200: Page(ScheduleViewSchema) } }, validatorCompiler: queryValidator },
      async (req) => schedules.page(req.query),
    );
    app.get('/schedules/:id', { schema: { tags, params: IdParams, response: { 200: ScheduleWithTicksSchema } } }, async (req, reply) =>
      withSettingsTag(reply, await schedules.get(req.params.id)),
    );
    app.patch(
      '/schedules/:id',
      {
        config: { roles: BUILDERS },
        schema: { tags, params: IdParams, headers: IfMatchSettingsHeaders, body: SchedulePatch, response: { 200: ScheduleViewSchema } },
      },
      async (req, reply) =>
        withSettingsTag(reply, await schedules.update(req.params.id, req.body, ifMatchSettings(req.headers['if-match']))),
    );
    app.delete(
      '/schedules/:id',
      { config: { roles: BUILDERS }, schema: { tags, params: IdParams, headers: IfMatchSettingsHeaders, response: noContent('Deleted') } },
      async (req, reply) => {
        await schedules.delete(req.params.id, ifMatchSettings(req.headers['if-match']));
        return reply.code(204).send();
      },
    );
  };
