// The HTTP API: Fastify with one plugin per area, bearer API keys with roles and rate limits
// (auth.ts), problem+json errors and an OpenAPI document generated from the route schemas.

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Callout } from '../callout.ts';
import { registerAuth, type ApiLimits } from './auth.ts';
import { errorHandler, problem, sendProblem } from './problem.ts';
import { connectorRoutes } from './connectors.ts';
import { actionTypeRoutes } from './action-types.ts';
import { actionRoutes } from './actions.ts';
import { callbackRoutes } from './callbacks.ts';
import { caseRoutes } from './cases.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { configRoutes } from './config.ts';
// ---- bulk launches and schedules (wiring)
import { bulkLaunchRoutes } from '../bulk-launches/routes.ts';
import { bulkReplayRoutes } from '../bulk-replays/routes.ts';
import { scheduleRoutes } from '../schedules/routes.ts';

export interface ServerOptions {
  logRequests?: boolean;
  /** Rate limits of the API; see ApiLimits for the defaults. */
  limits?: ApiLimits;
}

export async function buildServer(callout: Callout, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request lines only when asked for: at thousands of callbacks a second they drown the rest.
    loggerInstance: callout.logger.child(
      { component: 'api' },
      { level: opts.logRequests ? callout.logger.level : 'warn' },
    ) as FastifyBaseLogger,
    bodyLimit: 5 * 1024 * 1024,
    // One spelling per route, pinned: /V1/..., //v1/..., /v1/x/, /v1/x;y find no route (404) instead of a
    // second way in. Percent-encoded letters do reach the route, with its authorisation (auth.ts).
    // (useSemicolonDelimiter is read from routerOptions but missing from its type.)
    routerOptions: {
      caseSensitive: true,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
      ...({ useSemicolonDelimiter: false } as object),
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
  });
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
  // Before any route: every route registered after this is authenticated unless it is named public.
  await registerAuth(app, callout, opts.limits);

  app.get('/health', { config: { roles: 'public', limitBy: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    const h = await callout.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/openapi.json', { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(connectorRoutes(callout), { prefix: '/v1' });
  await app.register(actionTypeRoutes(callout), { prefix: '/v1' });
  await app.register(actionRoutes(callout), { prefix: '/v1' });
  await app.register(callbackRoutes(callout), { prefix: '/v1' });
  await app.register(caseRoutes(callout), { prefix: '/v1' });
  await app.register(apiKeyRoutes(callout), { prefix: '/v1' });
  await app.register(configRoutes(callout), { prefix: '/v1' });
  // ---- bulk launches and schedules (wiring)
  await app.register(bulkLaunchRoutes(callout.bulkLaunches), { prefix: '/v1' });
  await app.register(bulkReplayRoutes(callout.bulkReplays), { prefix: '/v1' });
  await app.register(scheduleRoutes(callout.schedules), { prefix: '/v1' });
  return app;
}
