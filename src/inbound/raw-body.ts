// Keeps the exact request bytes for routes that verify a signature over them. Within the plugin
// context it is applied to, JSON is parsed by Fastify's own (poisoning-safe) parser as before; routes
// that set `config: { rawBody: true }` also get `req.rawBody`, and refuse bodies of any other type.

import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

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

/**
 * Replaces the JSON parser of `app`'s context (call it inside the plugin that registers the signed
 * routes, before them) with one that keeps the bytes for opted-in routes, under `bodyLimit`.
 */
export function useRawJsonBody(app: FastifyInstance, opts: { bodyLimit?: number } = {}): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  if (!app.hasRequestDecorator('rawBody')) app.decorateRequest('rawBody', null);
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit ?? DEFAULT_RAW_BODY_LIMIT },
    (req, body, done) => {
      const bytes = body as Buffer;
      if (req.routeOptions.config.rawBody === true) req.rawBody = bytes;
      // Fastify's default parser is synchronous and reports through `done`.
      void parseJson(req, bytes.toString('utf8'), done);
    },
  );
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.routeOptions.config.rawBody !== true || req.rawBody !== null) return;
    // Another parser (text/plain, say) took the body: its bytes were not kept, so it cannot be verified.
    if (req.body !== undefined && req.body !== null)
      throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers['content-type'] ?? 'none');
    req.rawBody = Buffer.alloc(0);
  });
}

/** The raw body of an opted-in route (empty when the request had none). */
export function rawBodyOf(req: FastifyRequest): Buffer {
  if (req.rawBody === null) throw new Error(`route ${req.routeOptions.url ?? ''} did not opt in to config.rawBody`);
  return req.rawBody;
}
