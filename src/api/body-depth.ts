// The one check of a body's nesting that every route gets before its handler: a body nested past what
// a handler can walk recursively is refused before any handler (an import's copy, a template check)
// overflows the stack on it. Domain limits (32 levels) stay tighter and name the field.

import { MAX_JSON_DEPTH, jsonProblem } from '../json-limits.ts';
import { isObject } from '../validation/check.ts';
import { ValidationError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `route`: the handler checks its body's nesting itself, more tightly and without holding the event
     * loop (a bulk launch checks each of up to 100,000 rows at 32 levels, between turns).
     */
    bodyDepth?: 'route';
  }
}

/** Deepest body any route accepts. */
export const MAX_BODY_DEPTH = 64;

/** Throws a ValidationError naming the fields nested too deep; returns when the body is fine. */
export function refuseDeepBody(body: unknown): void {
  // A CSV body arrives as a Buffer: bytes, not nesting (walking it costs seconds per megabyte).
  if (body === undefined || body === null || Buffer.isBuffer(body)) return;
  if (!jsonProblem(body, { maxDepth: MAX_BODY_DEPTH, maxBytes: Infinity })) return;
  const limits = { maxDepth: MAX_JSON_DEPTH, maxBytes: Infinity };
  const fields = isObject(body) ? Object.entries(body).map(([field, v]) => ({ field, message: jsonProblem(v, limits) })) : [];
  const errors = fields.filter((e): e is { field: string; message: string } => e.message !== undefined);
  throw new ValidationError(errors.length ? errors : [{ field: '', message: `is nested deeper than ${MAX_BODY_DEPTH} levels` }]);
}
