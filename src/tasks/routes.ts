// POST /v1/actions/{id}/assign, /due and /notes: operators (and admins) move tasks and note on them, as the
// user their key acts as.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../api/user.ts';
import { ActionIdParams } from '../actions/schemas.ts';
import { ActionViewSchema } from '../actions/views.ts';
import type { TaskService } from './service.ts';
import { AssignBody, DueBody, NoteBody } from './schemas.ts';
import { OPERATORS } from '../api/roles.ts';

export const taskRoutes =
  (tasks: TaskService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['actions'];
    const config = { roles: OPERATORS };
    // Both answer with the action as it now is.
    const response = { 200: ActionViewSchema };
    app.post('/actions/:id/assign', { config, schema: { tags, params: ActionIdParams, body: AssignBody, response } }, async (req) =>
      tasks.assign(req.params.id, userOf(req), req.body),
    );
    // Sets or clears when the work is due (To Do and In Progress only).
    app.post('/actions/:id/due', { config, schema: { tags, params: ActionIdParams, body: DueBody, response } }, async (req) =>
      tasks.setDue(req.params.id, userOf(req), req.body),
    );
    app.post('/actions/:id/notes', { config, schema: { tags, params: ActionIdParams, body: NoteBody, response } }, async (req) =>
      tasks.note(req.params.id, userOf(req), req.body),
    );
  };
