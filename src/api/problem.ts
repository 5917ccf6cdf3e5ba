// Errors out of the API as application/problem+json (RFC 9457), with the fields at fault.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CalloutError, ERROR_CODES } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ field: string; message: string }>;
}

export function problem(code: keyof typeof ERROR_CODES, detail: string, errors?: Problem['errors']): Problem {
  const c = ERROR_CODES[code];
  return {
    type: `https://callout.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: c.title,
    status: c.status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Maps every error a route can throw to a problem; unknown errors are logged and hidden. */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof CalloutError) return sendProblem(reply, problem(err.code, err.message, err.errors));
    const fe = err as FastifyError & {
      validation?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>;
      validationContext?: string;
    };
    if (fe.validation) {
      const ctx = fe.validationContext === 'querystring' ? '' : fe.validationContext === 'params' ? '' : '';
      const errors = fe.validation.map((v) => {
        const missing = v.params?.missingProperty as string | undefined;
        const extra = v.params?.additionalProperty as string | undefined;
        const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
        const field = [ctx, path, missing ?? extra].filter(Boolean).join('.');
        return { field, message: missing ? 'is required' : extra ? 'is not a known field' : (v.message ?? 'is invalid') };
      });
      return sendProblem(reply, problem('VALIDATION_FAILED', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors));
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendProblem(reply, {
        ...problem('BAD_REQUEST', 'Send the body as application/json'),
        status: 415,
        title: 'Unsupported media type',
      });
    if (fe.code?.startsWith('FST_ERR_CTP') || fe.statusCode === 400)
      return sendProblem(reply, problem('BAD_REQUEST', `The body is not valid JSON: ${fe.message}`));
    if (fe.statusCode === 413)
      return sendProblem(reply, { ...problem('BAD_REQUEST', 'The body is too large'), status: 413, title: 'Payload too large' });
    logger.error({ err, url: req.url }, 'unhandled error');
    return sendProblem(reply, problem('INTERNAL', 'Something went wrong inside Callout; the error is in the server log'));
  };
}
