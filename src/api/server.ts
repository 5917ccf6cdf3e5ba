// The HTTP API: Fastify with one plugin per area, bearer API keys with roles, problem+json errors
// and an OpenAPI document generated from the route schemas.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Callout, Role } from '../callout.ts';
import { errorHandler, problem, sendProblem } from './problem.ts';
import { connectorRoutes } from './connectors.ts';
import { actionTypeRoutes } from './action-types.ts';
import { actionRoutes } from './actions.ts';
import { callbackRoutes } from './callbacks.ts';
import { caseRoutes } from './cases.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { configRoutes } from './config.ts';
import { uiPlugin } from '../ui/plugin.ts';
import { principalFromCookie } from '../ui/session.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means any authenticated key. `public` skips the key. */
    roles?: readonly Role[] | 'public';
  }
  interface FastifyRequest {
    principal: { name: string; roles: Role[] } | null;
  }
}

export async function buildServer(callout: Callout, opts: { logRequests?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request lines only when asked for: at thousands of callbacks a second they drown the rest.
    loggerInstance: callout.logger.child(
      { component: 'api' },
      { level: opts.logRequests ? callout.logger.level : 'warn' },
    ) as FastifyBaseLogger,
    bodyLimit: 5 * 1024 * 1024,
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
  });
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler(callout.logger));
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('NOT_FOUND', `There is no route ${req.method} ${req.url.split('?')[0]}`)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Callout API',
        version: '1',
        description: 'External API actions for case and workflow processes. Errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    const roles = req.routeOptions.config?.roles;
    if (roles === 'public' || !req.url.startsWith('/v1/')) return;
    const h = req.headers.authorization;
    const key = h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
    const principal = key ? await callout.authenticate(key) : await principalFromCookie(req, callout);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(
        reply,
        problem('UNAUTHORIZED', key ? 'The API key is not valid' : 'Send an API key as Authorization: Bearer <key>'),
      );
    }
    req.principal = principal;
    if (roles && !principal.roles.includes('admin') && !roles.some((r) => principal.roles.includes(r)))
      return sendProblem(
        reply,
        problem('FORBIDDEN', `This needs one of the roles ${roles.join(', ')}; the key has ${principal.roles.join(', ')}`),
      );
  });

  app.get('/health', { config: { roles: 'public' }, schema: { hide: true } }, async () => ({ ok: true, store: callout.store.kind }));
  app.get('/openapi.json', { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(connectorRoutes(callout), { prefix: '/v1' });
  await app.register(actionTypeRoutes(callout), { prefix: '/v1' });
  await app.register(actionRoutes(callout), { prefix: '/v1' });
  await app.register(callbackRoutes(callout), { prefix: '/v1' });
  await app.register(caseRoutes(callout), { prefix: '/v1' });
  await app.register(apiKeyRoutes(callout), { prefix: '/v1' });
  await app.register(configRoutes(callout), { prefix: '/v1' });
  await app.register(uiPlugin(callout));
  return app;
}

/** The user a request acts as: the API key's name. */
export function userOf(req: FastifyRequest): string {
  return req.principal?.name ?? 'anonymous';
}
