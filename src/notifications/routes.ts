// GET /v1/notifications, POST /v1/notifications/{id}/read and POST /v1/notifications/read (all of
// them): the notifications of the user the request acts as, and only theirs.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../api/user.ts';
import type { NotificationService } from './service.ts';
import { MarkAllReadBody, NotificationIdParams, NotificationsQuery, NotificationViewSchema } from './schemas.ts';
import { Type } from '@sinclair/typebox';
import { Page } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { PEOPLE } from '../api/roles.ts';
import { emptyBodyIsObject } from '../api/optional-body.ts';

export const notificationRoutes =
  (notifications: NotificationService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['notifications'];
    app.get(
      '/notifications',
      {
        config: { roles: PEOPLE },
        schema: { tags, querystring: NotificationsQuery, response: { 200: Page(NotificationViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) =>
        notifications.page(userOf(req), {
          unreadOnly: req.query.unread === true,
          limit: req.query.limit ?? 200,
          ...(req.query.before !== undefined ? { before: Number(req.query.before) } : {}),
        }),
    );
    app.post(
      '/notifications/read',
      {
        config: { roles: PEOPLE },
        schema: { tags, body: MarkAllReadBody, response: { 200: Type.Object({ marked: Type.Integer() }) } },
        // No body at all (a bare POST) is all of them.
        preValidation: emptyBodyIsObject,
      },
      async (req) => notifications.markAllRead(userOf(req), req.body.upTo),
    );
    app.post(
      '/notifications/:id/read',
      { config: { roles: PEOPLE }, schema: { tags, params: NotificationIdParams, response: { 200: NotificationViewSchema } } },
      async (req) => notifications.markRead(userOf(req), Number(req.params.id)),
    );
  };
