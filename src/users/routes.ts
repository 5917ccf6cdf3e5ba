// Users: an admin creates and changes them; people (builders, operators) read them to assign work. /v1/users/me is
// the user the caller's key acts as.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { UserService } from './service.ts';
import { UserBody, UserNameParams, UserPatchBody, UserViewSchema } from './schemas.ts';
import { NamePageQuery, Page } from '../api/schemas.ts';
import { queryValidator } from '../api/query.ts';
import { NotFoundError } from '../errors.ts';
import { ADMINS, PEOPLE } from '../api/roles.ts';
import { created } from '../api/openapi.ts';
import { userOf } from '../api/user.ts';

/** `me` is the caller's user; a key that acts as no user has none. */
function named(req: FastifyRequest, name: string): string {
  if (name !== 'me') return name;
  const user = req.principal?.user;
  if (user === undefined) throw new NotFoundError('User', 'me');
  return user;
}

export const userRoutes =
  (users: UserService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['users'];
    app.post(
      '/users',
      { config: { roles: ADMINS }, schema: { tags, body: UserBody, response: created('The user', { schema: UserViewSchema }) } },
      async (req, reply) =>
        reply
          .code(201)
          .header('location', `/v1/users/${req.body.name}`)
          .send(await users.create(req.body)),
    );
    app.get(
      '/users',
      {
        config: { roles: PEOPLE },
        schema: { tags, querystring: NamePageQuery, response: { 200: Page(UserViewSchema) } },
        validatorCompiler: queryValidator,
      },
      async (req) => users.page(req.query),
    );
    app.get(
      '/users/:name',
      { config: { roles: PEOPLE }, schema: { tags, params: UserNameParams, response: { 200: UserViewSchema } } },
      async (req) => users.get(named(req, req.params.name)),
    );
    app.patch(
      '/users/:name',
      { config: { roles: ADMINS }, schema: { tags, params: UserNameParams, body: UserPatchBody, response: { 200: UserViewSchema } } },
      async (req) => users.update(named(req, req.params.name), req.body, userOf(req)),
    );
  };
