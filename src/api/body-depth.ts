// The one check of a body's nesting that every route gets before its handler: a body nested past what
// a handler can walk recursively is refused before any handler (an import's copy, a template check)
// overflows the stack on it. Domain limits (32 levels) stay tighter and name the field.

import { MAX_JSON_DEPTH, jsonProblem } from '../json-limits.ts';
import { isObject } from '../validation/check.ts';
import { CalloutError, ValidationError } from '../errors.ts';
import type { FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';

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
 * Where JSON text nests arrays and objects deeper than `max`, found by one pass over its characters
 * before it is parsed: the top-level field it is under ('' for none), or null when it does not. JSON.parse
 * of 5 MB of `[[[[…` holds the event loop about 2 s, and a public route (a callback with a made-up
 * token, the sign-in) parses before anything is checked.
 */
export function tooDeepAt(text: string, max: number): string | null {
  let depth = 0;
  let inString = false;
  let start = 0;
  let lastString = '';
  let field = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) {
        inString = false;
        if (depth === 1) lastString = text.slice(start, i + 1);
      }
    } else if (c === 34) {
      inString = true;
      start = i;
    } else if (c === 58 && depth === 1)
      field = lastString; // ':' after a top-level key
    else if (c === 91 || c === 123) {
      if (++depth > max) return field === '' ? '' : (JSON.parse(field) as string);
    } else if (c === 93 || c === 125) depth--;
  }
  return null;
}

const PROTO_REFUSED = 'The body is refused: it has a __proto__ or constructor.prototype key, which could change how it is read';

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

type Parsed = (err: Error | null, body?: unknown) => void;
export type JsonParser = (req: FastifyRequest, body: string, done: Parsed) => void;

/**
 * Nesting past which a body is refused before it is parsed. Below it, the body is parsed and
 * refuseDeepBody names the fields nested past MAX_BODY_DEPTH; past it, parsing alone is the cost
 * (500,000 levels in 1 MB take 240 ms to parse).
 */
export const MAX_PARSE_DEPTH = 1000;

/**
 * `parse` (Fastify's JSON parser, which answers at once) used on one piece of a body's text, throwing
 * what boundedJsonParser would pass on: a prototype key refused in words, invalid text as a 400.
 */
export function pieceParser(parse: JsonParser, req: FastifyRequest): (text: string) => unknown {
  return (text) => {
    let out: { err: Error | null; value?: unknown } | undefined;
    parse(req, text, (err, value) => (out = { err, value }));
    if (out === undefined) throw new Error('the JSON parser did not answer at once');
    if (!out.err) return out.value;
    if ((out.err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && parsesAsJson(text))
      throw new CalloutError('BAD_REQUEST', PROTO_REFUSED);
    throw out.err;
  };
}

/** Said of a body whose bytes are not UTF-8 (a Latin-1 file, say). */
export const NOT_UTF8 = 'is not UTF-8 text: send it encoded as UTF-8 (in Excel, save as "CSV UTF-8")';

/**
 * A body's bytes as text, or a 400 when they are not UTF-8: decoded as it was, each bad byte became
 * U+FFFD and the mangled name ("M\uFFFDller") went on to the external system without a word.
 */
export function utf8Text(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new CalloutError('BAD_REQUEST', `The body ${NOT_UTF8}`);
  return bytes.toString('utf8');
}

/**
 * `parse`, refusing bytes that are not UTF-8 and text nested past MAX_PARSE_DEPTH before parsing it
 * (422, as refuseDeepBody).
 */
export function boundedJsonParser(parse: JsonParser): (req: FastifyRequest, bytes: Buffer, done: Parsed) => void {
  return (req, bytes, done) => {
    let body: string;
    try {
      body = utf8Text(bytes);
    } catch (e) {
      return done(e as Error);
    }
    const deep = tooDeepAt(body, MAX_PARSE_DEPTH);
    // Worded as refuseDeepBody words it: a field by the domain's limit, the whole body by the route's.
    if (deep !== null)
      return done(
        new ValidationError([{ field: deep, message: `is nested deeper than ${deep === '' ? MAX_BODY_DEPTH : MAX_JSON_DEPTH} levels` }]),
      );
    parse(req, body, (err, parsed) => {
      // The default parser says only "not valid JSON"; JSON that parses was refused for a prototype key.
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && parsesAsJson(body))
        return done(new CalloutError('BAD_REQUEST', PROTO_REFUSED));
      done(err, parsed);
    });
  };
}
