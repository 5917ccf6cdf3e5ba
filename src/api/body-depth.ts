// The one check of a body's nesting that every route gets before its handler: a body nested past what
// a handler can walk recursively is refused before any handler (an import's copy, a template check)
// overflows the stack on it. Domain limits (32 levels) stay tighter and name the field.

import { MAX_JSON_DEPTH, jsonProblem } from '../json-limits.ts';
import { isObject } from '../validation/check.ts';
import { ValidationError } from '../errors.ts';
import type { FastifyRequest } from 'fastify';

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

/**
 * True when JSON text nests arrays and objects deeper than `max`, found by one pass over its
 * characters before it is parsed: JSON.parse of 5 MB of `[[[[…` holds the event loop about 2 s, and
 * a public route (a callback with a made-up token, the sign-in) parses before anything is checked.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

type JsonParser = (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;

const ESCAPE = /(?<!\\)(?:\\\\)*\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;
const HIGH = /^[dD][89abAB]/;

/**
 * What in JSON text a store cannot keep, or null: the NUL escape (PostgreSQL's text and jsonb refuse
 * it) or a surrogate escape that is not half of a pair (jsonb refuses it; it is no character).
 */
export function unstorableEscape(text: string): string | null {
  if (!text.includes('\\u')) return null;
  ESCAPE.lastIndex = 0;
  let previous: { code: string; end: number } | undefined;
  for (let m = ESCAPE.exec(text); m !== null; m = ESCAPE.exec(text)) {
    const code = m[1]!;
    const start = m.index + m[0].length - 6;
    if (code === '0000') return 'contains \\u0000 (the NUL character), which Callout cannot store';
    const high = HIGH.test(code);
    const pairedLow = !high && previous !== undefined && HIGH.test(previous.code) && previous.end === start;
    if (!high && !pairedLow) return `contains \\u${code}, half of a surrogate pair without its other half`;
    if (high) {
      const next = text.slice(start + 6, start + 12);
      if (!/^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(next)) return `contains \\u${code}, half of a surrogate pair without its other half`;
    }
    previous = { code, end: start + 6 };
  }
  return null;
}

/**
 * `parse`, refusing before parsing text nested past MAX_BODY_DEPTH (422, as refuseDeepBody) or
 * holding what no store can keep (422: SQLite would keep it, PostgreSQL refuse it).
 */
export function boundedJsonParser(parse: JsonParser): JsonParser {
  return (req, body, done) => {
    if (nestsDeeperThan(body, MAX_BODY_DEPTH))
      return done(new ValidationError([{ field: '', message: `is nested deeper than ${MAX_BODY_DEPTH} levels` }]));
    const unstorable = unstorableEscape(body);
    if (unstorable !== null) return done(new ValidationError([{ field: '', message: unstorable }]));
    parse(req, body, done);
  };
}
