// GET /v1/notifications: the notifications of the user the request acts as.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../api/user.ts';
import type { NotificationService } from './service.ts';

export const notificationRoutes =
  (notifications: NotificationService): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/notifications', { schema: { tags: ['notifications'] } }, async (req) => ({ items: await notifications.list(userOf(req)) }));
  };
