// The OpenAPI document's shape beyond what the routes' schemas give: every operation lists the
// problems it can answer (application/problem+json, one shared Problem schema), chosen from what the
// route has (a key to check, roles, path parameters, a body, a write), and the success codes the
// routes declare themselves (201 created, 204 no content) through `created`/`noContent`.
// Response schemas are documentation here: the server still sends what a handler returns, as
// JSON.stringify writes it (server.ts), so a schema can never drop a field from an answer.

import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifySchema, RouteOptions } from 'fastify';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { ERROR_CODES, type ErrorCode } from '../errors.ts';
import { emptyBodyIsObject } from './optional-body.ts';
import { webhooksSection } from '../webhooks/payload-schema.ts';
import { operationOf } from './operations.ts';

const Problem = {
  type: 'object',
  description: 'An error (RFC 9457). `code` is stable and meant for programs; `detail` and `errors` for people.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'a URI naming the kind of problem' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    errors: {
      type: 'array',
      description: 'the fields at fault, for VALIDATION_FAILED and the like',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: {
            type: 'string',
            description:
              'the path of the field: keys joined by dots, a position in a list as [n] (steps[1].name); empty for the body itself',
          },
          message: { type: 'string' },
        },
      },
    },
  },
};

/** The problems every operation may answer, by status: which codes, and when. */
const RESPONSES = {
  400: ['BAD_REQUEST', 'The body is not valid JSON, or the path cannot be decoded'],
  401: ['UNAUTHORIZED', 'No valid API key (a bearer token, or the UI session cookie)'],
  403: ['FORBIDDEN', "The key's role may not do this"],
  404: ['NOT_FOUND', 'Nothing with this id or name'],
  409: ['CONFLICT', 'The request conflicts with the current state (INVALID_STATE, CONFLICT): read it again before deciding'],
  412: [
    'PRECONDITION_FAILED',
    "If-Match named an entity tag other than the resource's current one (its revision, or its settings' tag): read the resource again and make the change on that",
  ],
  413: ['PAYLOAD_TOO_LARGE', 'The body is larger than this route accepts'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'The body is not of a type this route reads'],
  422: ['VALIDATION_FAILED', 'A field is missing or wrong; `errors` names each one'],
  429: ['RATE_LIMITED', 'Too many requests; wait for Retry-After'],
  500: ['INTERNAL', 'Something went wrong inside Callout; the server log has the error'],
  503: [
    'STORE_UNAVAILABLE',
    'The store cannot be reached, has stopped, or could not say whether a write was kept; Retry-After is sent when repeating is safe',
  ],
} as const satisfies Record<number, readonly [ErrorCode, string]>;
export type Status = keyof typeof RESPONSES;

const componentName = (status: Status): string =>
  RESPONSES[status][0]
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** The statuses of problems a route can answer, from what it has. */
export function problemStatuses(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): Status[] {
  const config = route.config as { roles?: unknown; problems?: Status[] } | undefined;
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const methods = ([] as string[]).concat(route.method);
  const writes = methods.some((m) => m !== 'GET' && m !== 'HEAD');
  // Public routes check a token or a signature of their own (callbacks, inbound).
  const out = new Set<Status>([401, 429, 500, 503, ...(config?.problems ?? [])]);
  // A route that names no roles still refuses a key with the metrics role alone (auth.ts).
  if (config?.roles !== 'public') out.add(403);
  // A signed route (its raw body checked) answers an unknown reference as a forgery: 401, never 404.
  if (route.url.includes(':')) {
    out.add(400);
    if ((config as { rawBody?: boolean } | undefined)?.rawBody !== true) out.add(404);
  }
  if (schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined)
    out.add(422);
  // Fastify reads a body on any write, schema or not: malformed, too large or of another type.
  if (writes || schema.body !== undefined) out.add(400).add(413).add(415);
  if (writes) out.add(409);
  const headers = schema.headers as { properties?: Record<string, unknown> } | undefined;
  if (headers?.properties?.['if-match'] !== undefined) out.add(412);
  return [...out].sort((a, b) => a - b);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Problems the route answers beyond those its schema implies (a body it parses itself). */
    problems?: Status[];
  }
}

const MARK = 'x-callout-problems';
const OPTIONAL_BODY = 'x-callout-optional-body';

/** @fastify/swagger `transform`: notes each operation's problems and whether its body may be left out, for `writeProblems`. */
export const markProblems: SwaggerTransform = ({ schema, url, route }) => ({
  schema: {
    ...operationFields(route.method, url),
    ...schema,
    [MARK]: problemStatuses(route),
    ...([route.preValidation].flat().includes(emptyBodyIsObject) ? { [OPTIONAL_BODY]: true } : {}),
  } as FastifySchema,
  url,
});

/** The operation's name and summary from the table (operations.ts); the route's own summary wins, by the spread after it. */
function operationFields(method: string | string[], url: string): { operationId?: string; summary?: string } {
  const op = typeof method === 'string' ? operationOf(method, url) : undefined;
  return op ? { operationId: op[0], summary: op[1] } : {};
}

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, { description?: string; headers?: Record<string, unknown>; $ref?: string }>;
  [MARK]?: Status[];
  [OPTIONAL_BODY]?: true;
}

const header = (description: string) => ({ description, schema: { type: 'string' } });
const ETAG = header('the entity tag to send back as If-Match with a change');
const LOCATION = header('the path of what was created');
const RETRY_AFTER = header('seconds to wait before repeating');
const LIMIT = header('the requests allowed a minute');
const REMAINING = header('the requests left this minute: 0');

/**
 * What the routes' schemas cannot say, written into the document: the headers answered (ETag on a
 * resource that takes If-Match, Location on a 201), bodies that may be left out (the generator marks
 * every body required), and bodies that are not JSON (text/csv, YAML) as strings.
 */
function describeWire(paths: Record<string, Record<string, Operation>>): void {
  const addHeader = (r: { headers?: Record<string, unknown> } | undefined, name: string, h: unknown): void => {
    if (r) r.headers = { ...r.headers, [name]: h };
  };
  for (const [path, ops] of Object.entries(paths)) {
    if (ops.patch?.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match')) {
      addHeader(ops.get?.responses?.['200'], 'ETag', ETAG);
      addHeader(ops.patch.responses?.['200'], 'ETag', ETAG);
      addHeader(paths[path.slice(0, path.lastIndexOf('/'))]?.post?.responses?.['201'], 'ETag', ETAG);
    }
    for (const op of Object.values(ops)) {
      const made = op.responses?.['201'];
      if (made?.description?.includes('Location names it')) addHeader(made, 'Location', LOCATION);
      if (op[OPTIONAL_BODY] && op.requestBody) op.requestBody.required = false;
      delete op[OPTIONAL_BODY];
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        if (!type.includes('json') && media.schema && media.schema.type === undefined) media.schema = { ...media.schema, type: 'string' };
    }
  }
}

/** @fastify/swagger `transformObject`: the problems as responses of each operation, and their shared components. */
export const writeProblems: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const doc = documentObject.openapiObject as {
    paths?: Record<string, Record<string, Operation>>;
    webhooks?: Record<string, unknown>;
    components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> };
  };
  for (const operations of Object.values(doc.paths ?? {}))
    for (const op of Object.values(operations)) {
      const statuses = op[MARK];
      if (!statuses) continue;
      delete op[MARK];
      op.responses ??= {};
      for (const s of statuses) op.responses[String(s)] ??= { $ref: `#/components/responses/${componentName(s)}` };
    }
  describeWire(doc.paths ?? {});
  // What a subscription's URL receives (OpenAPI 3.1): one entry per event type.
  doc.webhooks = webhooksSection();
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, Problem };
  doc.components.responses = Object.fromEntries(
    (Object.keys(RESPONSES).map(Number) as Status[]).map((s) => [
      componentName(s),
      {
        description: RESPONSES[s][1],
        ...(s === 429
          ? { headers: { 'Retry-After': RETRY_AFTER, 'X-RateLimit-Limit': LIMIT, 'X-RateLimit-Remaining': REMAINING } }
          : s === 503
            ? { headers: { 'Retry-After': RETRY_AFTER } }
            : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
  return documentObject.openapiObject;
};

/** A route's success answers, documented: `created('the action')` for a 201 with a Location header. */
export function created(what: string, opts: { repeat?: boolean; location?: boolean; schema?: TSchema } = {}): Record<number, TSchema> {
  const answer = (description: string): TSchema => (opts.schema ? { ...opts.schema, description } : Type.Any({ description }));
  const out: Record<number, TSchema> = {
    201: answer(`${what}, created${opts.location === false ? '' : '; Location names it'}`),
  };
  if (opts.repeat) out[200] = answer(`${what}, as the first request with this Idempotency-Key made it`);
  return out;
}

/** The answer `created()` documents: 201, with a Location naming the new thing in its collection. */
export function sendCreated(reply: FastifyReply, collection: string, thing: { id?: unknown }): FastifyReply {
  return reply
    .code(201)
    .header('location', `/v1/${collection}/${String(thing.id)}`)
    .send(thing);
}

/** A route that answers 204 with no body. */
export const noContent = (what: string): Record<number, TSchema> => ({ 204: Type.Null({ description: what }) });
