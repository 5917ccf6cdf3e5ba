// Errors out of the API as application/problem+json (RFC 9457), with the fields at fault.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CalloutError, ERROR_CODES, type ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { storeFailure } from '../store/failures.ts';
import { fieldPath } from '../validation/field-path.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ field: string; message: string }>;
}

/** Fields named in one answer, and characters of its detail: a file with 60,000 bad entries made a 6 MB answer. */
export const MAX_PROBLEM_FIELDS = 100;
export const MAX_DETAIL_CHARS = 4_000;
/** Characters of one field's name or message (a field name can echo a key the client sent). */
const MAX_FIELD_CHARS = 500;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters in all)` : text);

export function problem(code: keyof typeof ERROR_CODES, detail: string, errors?: Problem['errors']): Problem {
  const c = ERROR_CODES[code];
  const more = errors && errors.length > MAX_PROBLEM_FIELDS ? errors.length - MAX_PROBLEM_FIELDS : 0;
  return {
    type: `https://callout.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: c.title,
    status: c.status,
    detail: cut(detail, MAX_DETAIL_CHARS),
    code,
    ...(errors
      ? {
          errors: [
            ...errors
              .slice(0, MAX_PROBLEM_FIELDS)
              .map((e) => ({ field: cut(e.field, MAX_FIELD_CHARS), message: cut(e.message, MAX_FIELD_CHARS) })),
            ...(more ? [{ field: '', message: `and ${more} more problems` }] : []),
          ],
        }
      : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** The catalogue code for each status Fastify gives its own request errors (FST_ERR_CTP_*, not-found, ...). */
const FASTIFY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};
const DETAIL: Partial<Record<ErrorCode, string>> = {
  PAYLOAD_TOO_LARGE: 'The body is larger than this server accepts',
  UNSUPPORTED_MEDIA_TYPE: 'Send the body as application/json',
};
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types a route reads its body as, named by its 415 (JSON alone when absent). */
    mediaTypes?: readonly string[];
  }
}

/** What a 415 says: the media types this route reads (a YAML import is not told to send JSON). */
const unsupportedMediaType = (req: FastifyRequest): string => {
  const types = req.routeOptions?.config?.mediaTypes;
  return types && types.length > 0 ? `Send the body as ${types.join(' or ')}` : DETAIL.UNSUPPORTED_MEDIA_TYPE!;
};

const FASTIFY_DETAIL: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty; send a JSON value or no content-type',
};

type AjvError = { instancePath: string; keyword?: string; params?: Record<string, unknown> };

/**
 * A nullable field (a union with null) given a value its own schema refuses fails three times: by
 * its rule ('must NOT have more than 2000 characters'), as not null ('must be null') and as the
 * union ('must match a schema in anyOf'). Its rule is what to say.
 */
function nullableSaidOnce<T extends AjvError>(errors: T[]): T[] {
  const notNull = (v: AjvError): boolean => v.keyword === 'type' && v.params?.type === 'null';
  const unionPart = (v: AjvError, path: string): boolean => v.instancePath === path && (notNull(v) || v.keyword === 'anyOf');
  const said = new Set(
    errors
      .filter(notNull)
      .map((v) => v.instancePath)
      .filter((path) => errors.some((v) => (v.instancePath === path || v.instancePath.startsWith(`${path}/`)) && !unionPart(v, path))),
  );
  return errors.filter((v) => !(said.has(v.instancePath) && unionPart(v, v.instancePath)));
}

/** Maps every error a route can throw to a problem; unknown errors are logged and hidden. */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // A closed Callout's server answers as a stopped store does (below): to its clients, a node going away.
    if (err instanceof CalloutError && err.code !== 'CALLOUT_CLOSED') {
      // A 5xx of ours (e.g. SETUP_INVALID) is the server's fault: keep it in the log, as an unknown error is.
      if (err.status >= 500) logger.error({ err, url: req.url }, err.message);
      return sendProblem(reply, problem(err.code, err.message, err.errors));
    }
    const fe = err as FastifyError & {
      validation?: Array<{ instancePath: string; keyword?: string; message?: string; params?: Record<string, unknown> }>;
      validationContext?: string;
    };
    if (fe.validation) {
      // An `if`/`then` failure ('must match "then" schema') only repeats the errors of its `then`, listed beside it.
      const own = nullableSaidOnce(fe.validation.filter((v) => v.keyword !== 'if'));
      // A union of words fails once per word ('must be equal to constant') and once as a whole
      // ('must match a schema in anyOf'): said once, with the words.
      const words = new Map<string, unknown[]>();
      for (const v of own)
        if (v.keyword === 'const') words.set(v.instancePath, [...(words.get(v.instancePath) ?? []), v.params?.allowedValue]);
      const said = new Set<string>();
      const errors = (own.length > 0 ? own : fe.validation).flatMap((v) => {
        const missing = v.params?.missingProperty as string | undefined;
        const extra = v.params?.additionalProperty as string | undefined;
        const below = missing ?? extra;
        const field = fieldPath(
          v.instancePath,
          fe.validationContext === 'body' ? req.body : undefined,
          ...(below !== undefined ? [below] : []),
        );
        const union = words.get(v.instancePath);
        if (union && (v.keyword === 'const' || v.keyword === 'anyOf')) {
          if (said.has(v.instancePath)) return [];
          said.add(v.instancePath);
          return [{ field, message: `must be one of ${union.map(String).join(', ')}` }];
        }
        const allowed = v.keyword === 'enum' ? (v.params?.allowedValues as unknown[] | undefined) : undefined;
        const message = missing
          ? 'is required'
          : extra
            ? 'is not a known field'
            : allowed
              ? `must be one of ${allowed.map(String).join(', ')}`
              : (v.message ?? 'is invalid');
        return [{ field, message }];
      });
      // A problem with the whole body (or query) has no field to name: the detail says which part.
      const whole = `the ${fe.validationContext === 'querystring' ? 'query' : (fe.validationContext ?? 'body')}`;
      const detail = errors.map((e) => `${e.field === '' ? whole : e.field} ${e.message}`).join('; ');
      return sendProblem(reply, problem('VALIDATION_FAILED', detail, errors));
    }
    // Fastify's own request errors (body, content type, limits) carry their status: map it to our code.
    const code = fe.statusCode !== undefined ? FASTIFY_STATUS[fe.statusCode] : undefined;
    if (code) {
      const detail =
        err instanceof SyntaxError
          ? `The body is not valid JSON: ${err.message}`
          : code === 'UNSUPPORTED_MEDIA_TYPE'
            ? unsupportedMediaType(req)
            : (FASTIFY_DETAIL[fe.code] ?? DETAIL[code] ?? fe.message);
      return sendProblem(reply, problem(code, detail));
    }
    // The store's own failures. A repeat is invited only where it is safe: a request with an
    // Idempotency-Key finds its first run if that was kept; one without it could run twice.
    // Unreachable means the failing statement saved nothing; a write request may already have
    // committed before it (a launch, then the read of its view): only a read can say nothing was saved.
    const found = storeFailure(err);
    const failure = found === 'unreachable' && req.method !== 'GET' && req.method !== 'HEAD' ? 'outcome_unknown' : found;
    if (failure) {
      logger.error({ err, url: req.url }, err.message);
      const keyed = req.headers['idempotency-key'] !== undefined;
      if (failure === 'outcome_unknown' ? keyed : failure === 'unreachable') reply.header('retry-after', '1');
      return sendProblem(reply, problem('STORE_UNAVAILABLE', STORE_DETAIL[failure](keyed)));
    }
    logger.error({ err, url: req.url }, 'unhandled error');
    return sendProblem(reply, problem('INTERNAL', 'Something went wrong inside Callout; the error is in the server log'));
  };
}

const STORE_DETAIL: Record<NonNullable<ReturnType<typeof storeFailure>>, (keyed: boolean) => string> = {
  outcome_unknown: (keyed) =>
    keyed
      ? 'The store did not say whether this request was saved; repeat it with the same Idempotency-Key'
      : 'The store did not say whether this request was saved; check before repeating it (an Idempotency-Key makes a repeat safe)',
  stopped: () =>
    "This node's store has stopped (a write to disk failed, or the node is shutting down); use another node or restart this one",
  unreachable: () => 'The store cannot be reached; nothing was saved. Try again shortly',
};

/**
 * What Node's HTTP parser refuses before Fastify has a request (one trickled past the deadline,
 * headers over the limit, bytes that are not HTTP) answers problem+json too, as every other error.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const p =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? problem('REQUEST_TIMEOUT', 'The whole request did not arrive in time')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? problem('HEADERS_TOO_LARGE', 'The request line and headers are larger than this server accepts')
        : problem('BAD_REQUEST', 'The request is not valid HTTP');
  if (socket.writable) {
    const body = JSON.stringify(p);
    socket.write(
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/problem+json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
