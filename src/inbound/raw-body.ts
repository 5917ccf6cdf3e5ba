// Keeps the exact request bytes for routes that verify a signature over them. Within the plugin
// context it is applied to, JSON is parsed by Fastify's own (poisoning-safe) parser as before; routes
// that set `config: { rawBody: true }` also get `req.rawBody`, refuse bodies of any other type, and,
// when the context verifies, are parsed only after the signature holds.

import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { boundedJsonParser, refuseDeepBody } from '../api/body-depth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Keep the raw body bytes on `req.rawBody` (signed inbound routes). */
    rawBody?: boolean;
  }
  interface FastifyRequest {
    /** The body exactly as received, on routes with `config.rawBody`; null elsewhere. */
    rawBody: Buffer | null;
  }
}

/** Inbound callbacks are small; a signed route does not need the API's 5 MiB. */
export const DEFAULT_RAW_BODY_LIMIT = 1024 * 1024;

/** Checks a signed request over its exact bytes; throws (401) when it is not genuine. */
export type VerifyRaw = (req: FastifyRequest, bytes: Buffer) => Promise<void>;

/** Requests whose JSON is parsed only after `verify` (opted-in routes of a context that verifies). */
const unparsed = new WeakSet<FastifyRequest>();

/**
 * Replaces the JSON parser of `app`'s context (call it inside the plugin that registers the signed
 * routes, before them) with one that keeps the bytes for opted-in routes, under `bodyLimit`. Given
 * `verify`, an opted-in route's body is parsed only once the bytes are verified: an unsigned request
 * learns nothing, not even whether its body was JSON or too deeply nested.
 */
export function useRawJsonBody(app: FastifyInstance, opts: { bodyLimit?: number; verify?: VerifyRaw } = {}): void {
  const parseJson = boundedJsonParser(app.getDefaultJsonParser('error', 'error'));
  const parse = (req: FastifyRequest, bytes: Buffer): Promise<unknown> =>
    new Promise((resolve, reject) => void parseJson(req, bytes, (err, body) => (err ? reject(err) : resolve(body))));
  if (!app.hasRequestDecorator('rawBody')) app.decorateRequest('rawBody', null);
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit ?? DEFAULT_RAW_BODY_LIMIT },
    (req, body, done) => {
      const bytes = body as Buffer;
      if (req.routeOptions.config.rawBody === true) {
        req.rawBody = bytes;
        if (opts.verify) {
          unparsed.add(req);
          return done(null, undefined);
        }
      }
      // Fastify's default parser is synchronous and reports through `done`.
      void parseJson(req, bytes, done);
    },
  );
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.routeOptions.config.rawBody !== true) return;
    if (req.rawBody === null) {
      // Another parser (text/plain, say) took the body: its bytes were not kept, so it cannot be verified.
      if (req.body !== undefined && req.body !== null)
        throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers['content-type'] ?? 'none');
      req.rawBody = Buffer.alloc(0);
    }
    if (!opts.verify) return;
    await opts.verify(req, req.rawBody);
    if (!unparsed.delete(req)) return;
    // The same parser (and poisoning checks) as any route, then the same nesting check.
    req.body = await parse(req, req.rawBody);
    refuseDeepBody(req.body);
  });
}

/** The raw body of an opted-in route (empty when the request had none). */
export function rawBodyOf(req: FastifyRequest): Buffer {
  if (req.rawBody === null) throw new Error(`route ${req.routeOptions.url ?? ''} did not opt in to config.rawBody`);
  return req.rawBody;
}
