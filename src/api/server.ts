// The HTTP API: Fastify with one plugin per area, bearer API keys with roles and rate limits
// (auth.ts), problem+json errors and an OpenAPI document generated from the route schemas.

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Callout } from '../callout.ts';
import { registerAuth, type ApiLimits } from './auth.ts';
import { clientErrorHandler, errorHandler, problem, sendProblem } from './problem.ts';
import { connectorsRoutes } from '../connectors/routes.ts';
import { actionTypesRoutes } from '../action-types/routes.ts';
import { configFilesRoutes } from '../config-files/routes.ts';
import { apiKeysRoutes } from '../api-keys/routes.ts';
import { actionRoutes } from '../actions/routes.ts';
import { callbackRoutes } from '../callbacks/routes.ts';
import { caseRoutes } from '../cases/routes.ts';
import { notificationRoutes } from '../notifications/routes.ts';
import { uiPlugin } from '../ui/plugin.ts';
import { bulkLaunchRoutes } from '../bulk-launches/routes.ts';
import { bulkReplayRoutes } from '../bulk-replays/routes.ts';
import { scheduleRoutes } from '../schedules/routes.ts';
import { savedViewRoutes } from '../saved-views/routes.ts';
import { userRoutes } from '../users/routes.ts';
import { queueRoutes } from '../queues/routes.ts';
import { taskRoutes } from '../tasks/routes.ts';
import { processRoutes } from '../processes/routes.ts';
import { webhookRoutes } from '../webhooks/routes.ts';
import { inboundRoutes } from '../inbound/routes.ts';
import { boundedJsonParser, refuseDeepBody } from './body-depth.ts';
import { markProblems, writeProblems } from './openapi.ts';
import { integrationRoutes } from '../integrated-queues/routes.ts';
import { MAX_REFERENCE_CHARS } from '../json-limits.ts';
import { KEEP_ALIVE_TIMEOUT_DEFAULT_MS, MAX_CONNECTIONS_DEFAULT, MAX_CONNECTIONS_PER_ADDRESS_DEFAULT } from '../settings.ts';
import { capConnections } from './connection-cap.ts';
import { registerBodyBudget, type BodyBudget } from './body-budget.ts';
import { Activity } from '../ui/dashboard.ts';
import { Metrics } from '../metrics/metrics.ts';
import { metricsRoutes } from '../metrics/routes.ts';

export interface ServerOptions {
  logRequests?: boolean;
  /** Rate limits of the API; see ApiLimits for the defaults. */
  limits?: ApiLimits;
  /** Open connections accepted at once; then a quiet one makes way for a newcomer, or the newcomer is closed (connection-cap.ts). @default MAX_CONNECTIONS_DEFAULT */
  maxConnections?: number;
  /** Open connections accepted from one address. @default MAX_CONNECTIONS_PER_ADDRESS_DEFAULT */
  maxConnectionsPerAddress?: number;
  /** How long a connection may stay idle between requests. @default KEEP_ALIVE_TIMEOUT_DEFAULT_MS */
  keepAliveTimeoutMs?: number;
  /** Bytes of request bodies held at once, in all and per client (body-budget.ts). @default BODY_BUDGET_DEFAULT */
  bodyBudget?: BodyBudget;
  /**
   * The proxies whose X-Forwarded-For / -Proto are believed (addresses and ranges), so
   * per-address limits count clients rather than the proxy, and a session cookie behind TLS is Secure.
   * @default none: a client cannot choose the address it is counted as
   */
  trustProxy?: string[];
  /** How long a new connection may take to send its first request's headers. @default FIRST_REQUEST_TIMEOUT_MS (15 s) */
  firstRequestTimeoutMs?: number;
  /** How long one rendered GET /metrics is reused. @default RENDER_REUSE_MS (1 s) */
  metricsReuseMs?: number;
}

export async function buildServer(callout: Callout, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request lines only when asked for: at thousands of callbacks a second they drown the rest.
    loggerInstance: callout.logger.child(
      { component: 'api' },
      { level: opts.logRequests ? callout.logger.level : 'warn' },
    ) as FastifyBaseLogger,
    bodyLimit: 5 * 1024 * 1024,
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    // Against slowloris: a whole request (a 5 MB import included) must arrive within 30 s and its
    // headers within 15 s, checked every 5 s (Fastify's default requestTimeout 0 let a body trickle for
    // ever). Not an idle socket timeout: a Test action may rightly wait up to a connector's timeout.
    requestTimeout: 30_000,
    http: { headersTimeout: 15_000, connectionsCheckingInterval: 5_000 },
    // A socket idle between requests is closed after 5 s (Fastify's default 72 s let one client with
    // four addresses hold every connection place after a single public GET on each).
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_DEFAULT_MS,
    // One spelling per route, pinned: /V1/..., //v1/..., /v1/x/, /v1/x;y find no route (404) instead of a
    // second way in. Percent-encoded letters do reach the route, with its authorisation (auth.ts).
    // (useSemicolonDelimiter is read from routerOptions but missing from its type.)
    routerOptions: {
      // A provider's reference is a path segment of the inbound routes: every reference Callout keeps
      // must be addressable (Fastify's default is 100). Counted decoded, as the schemas count.
      maxParamLength: MAX_REFERENCE_CHARS,
      caseSensitive: true,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
      ...({ useSemicolonDelimiter: false } as object),
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } },
    clientErrorHandler,
    // The router's own refusals (a path that does not decode, a segment over maxParamLength) as
    // problem+json like every other error, not Fastify's bare JSON.
    frameworkErrors: (err, _req, reply) =>
      sendProblem(
        reply.header('x-content-type-options', 'nosniff'),
        problem(
          'BAD_REQUEST',
          err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? `A path segment is longer than ${MAX_REFERENCE_CHARS} characters`
            : 'The path is not valid percent-encoded UTF-8',
        ),
      ),
  }).withTypeProvider<TypeBoxTypeProvider>();
  const caps = capConnections(
    app.server,
    {
      max: opts.maxConnections ?? MAX_CONNECTIONS_DEFAULT,
      perAddress: opts.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS_DEFAULT,
    },
    callout.logger,
    opts.firstRequestTimeoutMs,
  );
  app.addHook('onClose', async () => caps.close());
  // Every answer is what its Content-Type says (JSON, problem+json, YAML): never sniffed into a page.
  const noRoute = (req: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendProblem(reply, problem('NOT_FOUND', `There is no route ${req.method} ${req.url.split('?')[0]}`));
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // A route that does not exist is said so before its body is read: a mistyped path with a body
    // that is broken, too large or of another type gets 404, not an answer about the body.
    if (req.is404) return noRoute(req, reply);
  });
  app.setErrorHandler(errorHandler(callout.logger));
  app.setNotFoundHandler(noRoute);

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
    transform: markProblems,
    transformObject: writeProblems,
  });
  // Response schemas document answers (openapi.ts); they never shape them: an answer is what its
  // handler returns, whole, as JSON.stringify writes it (Fastify would drop fields a schema leaves out).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Before any route: every route registered after this is authenticated unless it is named public.
  await registerAuth(app, callout, opts.limits);
  // After the key is checked (a request refused there reads no body), before any body is read.
  registerBodyBudget(app, opts.bodyBudget);
  // JSON nested past what any route accepts is refused before it is parsed (the parse itself is the cost).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, boundedJsonParser(app.getDefaultJsonParser('error', 'error')));
  // A text/plain body is no JSON object: 415 saying to send JSON, rather than a 422 on the field "".
  // Routes that read text (configuration import, CSV bulk launches) add their own parsers.
  app.removeContentTypeParser('text/plain');
  // Any body nested too deep is refused here, before any handler (signed routes check after their signature).
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config?.bodyDepth !== 'route') refuseDeepBody(req.body);
  });

  app.get('/health', { config: { roles: 'public', limitBy: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    const h = await callout.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/openapi.json', { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // One plugin per resource, each given only the service it exposes.
  const v1 = { prefix: '/v1' };
  await app.register(connectorsRoutes(callout.connectors), v1);
  await app.register(actionTypesRoutes(callout.actionTypes), v1);
  await app.register(actionRoutes(callout.actions), v1);
  await app.register(callbackRoutes(callout.callbacks), v1);
  await app.register(caseRoutes(callout.cases, callout.caseTasks), v1);
  await app.register(notificationRoutes(callout.notifications), v1);
  await app.register(apiKeysRoutes(callout.apiKeys), v1);
  await app.register(configFilesRoutes(callout.configFiles), v1);
  await app.register(bulkLaunchRoutes(callout.bulkLaunches), v1);
  await app.register(bulkReplayRoutes(callout.bulkReplays), v1);
  await app.register(scheduleRoutes(callout.schedules), v1);
  await app.register(savedViewRoutes(callout.savedViews), v1);
  // ---- people and queues (W1)
  await app.register(userRoutes(callout.users), v1);
  await app.register(queueRoutes(callout.queues), v1);
  await app.register(taskRoutes(callout.tasks), v1);
  // ---- cases and processes
  await app.register(processRoutes(callout.processes), v1);
  // ---- webhooks out and signed inbound (W4a)
  await app.register(webhookRoutes(callout.webhooks), v1);
  await app.register(inboundRoutes(callout.inbound), v1);
  // ---- integrated queues (I13b)
  await app.register(integrationRoutes({ integrations: callout.integrations, actions: callout.actions, callbacks: callout.callbacks }), v1);
  // The dashboard's per-minute activity and the metrics' counters come from one watch of the engine's writes.
  const activity = new Activity(callout);
  const metrics = new Metrics(callout, activity, opts.metricsReuseMs);
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime);
  });
  await app.register(metricsRoutes(metrics));
  await app.register(uiPlugin(callout, activity));
  return app;
}
