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
import { MAX_JSON_DEPTH, jsonProblem } from '../json-limits.ts';
import { isObject } from '../config/check.ts';
import { ValidationError } from '../errors.ts';

/** Deepest body any route accepts. */
const MAX_BODY_DEPTH = 64;

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
    // Against slowloris: a whole request (a 5 MB import included) must arrive within 30 s and its
    // headers within 15 s, checked every 5 s (Fastify's default requestTimeout 0 let a body trickle for
    // ever). Not an idle socket timeout: a Test action may rightly wait up to a connector's timeout.
    requestTimeout: 30_000,
    http: { headersTimeout: 15_000, connectionsCheckingInterval: 5_000 },
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
  // Any body nested past what a handler can walk recursively is refused here, before any handler (an
  // import's copy, a template check) overflows the stack on it. Domain limits (32 levels) stay tighter.
  app.addHook('preValidation', async (req) => {
    const body = req.body;
    if (body === undefined || body === null || !jsonProblem(body, { maxDepth: MAX_BODY_DEPTH, maxBytes: Infinity })) return;
    const limits = { maxDepth: MAX_JSON_DEPTH, maxBytes: Infinity };
    const fields = isObject(body) ? Object.entries(body).map(([field, v]) => ({ field, message: jsonProblem(v, limits) })) : [];
    const errors = fields.filter((e): e is { field: string; message: string } => e.message !== undefined);
    throw new ValidationError(errors.length ? errors : [{ field: '', message: `is nested deeper than ${MAX_BODY_DEPTH} levels` }]);
  });

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
  return app;
}
