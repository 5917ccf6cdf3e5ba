// POST /v1/bulk-launches (JSON rows, or a text/csv body with ?actionType= or ?process=, and for a
// process ?titleColumn= and ?ownerColumn=) and
// GET /v1/bulk-launches/{id}. Every row is read and checked before the POST answers 201; up to a page
// of rows (1,000) it also waits for the launch, so its report holds every row's id. A larger launch
// answers with the report so far (refused rows are in it) and goes on in the background; the GET shows it grow.

import { IdempotencyKeyHeaders, idempotencyKeyOf } from '../api/idempotency-key.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CalloutError, ValidationError } from '../errors.ts';
import { IdParams } from '../api/schemas.ts';
import { userOf } from '../api/user.ts';
import { BulkLaunchBody, BulkLaunchQuery, BulkReportSchema, MAX_JSON_ROWS } from './schemas.ts';
import type { BulkLaunchService } from './service.ts';
import type { BulkSettings } from './request-hash.ts';
import { created } from '../api/openapi.ts';
import { NOT_UTF8, boundedJsonParser, pieceParser } from '../api/body-depth.ts';
import { isUtf8 } from 'node:buffer';
import { parseSlicedObject } from '../api/sliced-json.ts';

/** JSON bodies larger than this are parsed a row at a time (sliced-json.ts). */
export const SLICED_FROM_BYTES = 1024 * 1024;

/** A CSV body (or JSON rows) up to 50 MB, on this route only; larger gets 413. */
export const MAX_BULK_BODY_BYTES = 50 * 1024 * 1024;
// Integration keys launch single actions; a system feeding a batch of them may as well send it at once.
const BULK_LAUNCHERS = ['operator', 'integration'] as const;

// Query values arrive as text (the server does not coerce types): digits, range checked below.
const ReportQuery = Type.Object(
  {
    afterRow: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'rows after this row number (the nextRow of a page)' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'rows in the page, 1 to 10000 (default 1000)' })),
  },
  { additionalProperties: false },
);

export const bulkLaunchRoutes =
  (bulk: BulkLaunchService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['bulk launches'];
    // In this plugin only: other routes keep refusing text/csv with 415.
    // UTF-8 (with or without its BOM), or UTF-16 with its BOM; any other bytes (a Latin-1 export) are
    // refused: read as UTF-8 each went on to the external systems as U+FFFD.
    app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
      const utf16 = body.length >= 2 && ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff));
      if (!utf16 && !isUtf8(body)) return done(new CalloutError('BAD_REQUEST', `The file ${NOT_UTF8}`));
      if (utf16 && body.length % 2 === 1)
        return done(new CalloutError('BAD_REQUEST', `The file is not UTF-16: it has an odd number of bytes`));
      // csv-parse reads UTF-16 little-endian only: a big-endian file (FE FF) was read as UTF-8, and its
      // cases made with NULs in every name. Its bytes are swapped in place (the body is this request's own).
      if (utf16 && body[0] === 0xfe) body.swap16();
      done(null, body);
    });
    // A large JSON body is parsed a row at a time between turns of the event loop; a small one as any body.
    const json = boundedJsonParser(app.getDefaultJsonParser('error', 'error'));
    const piece = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
      if (body.length <= SLICED_FROM_BYTES) return json(req, body, done);
      if (!isUtf8(body)) return done(new CalloutError('BAD_REQUEST', `The body ${NOT_UTF8}`));
      parseSlicedObject(body, 'rows', pieceParser(piece, req), MAX_JSON_ROWS).then(
        (v) => done(null, v),
        (err: Error) => done(err),
      );
    });
    app.post(
      '/bulk-launches',
      {
        bodyLimit: MAX_BULK_BODY_BYTES,
        config: { roles: BULK_LAUNCHERS, bodyDepth: 'route', mediaTypes: ['application/json', 'text/csv'] },
        schema: {
          tags,
          headers: IdempotencyKeyHeaders,
          querystring: BulkLaunchQuery,
          response: created(
            "The bulk launch's report: whole (`status` done) for up to 1,000 rows, else so far (`status` running; GET it to follow)",
            { repeat: true, schema: BulkReportSchema },
          ),
          body: {
            content: {
              'application/json': { schema: BulkLaunchBody },
              'text/csv': { schema: Type.Any({ description: 'a header line naming the fields, then one line per row' }) },
            },
          },
        },
      },
      async (req, reply) => {
        const key = idempotencyKeyOf(req.headers['idempotency-key'], userOf(req));
        const query = req.query as BulkSettings;
        let input: Parameters<BulkLaunchService['create']>[0];
        if (Buffer.isBuffer(req.body)) input = { kind: 'csv', body: req.body, query };
        else {
          const q = Object.keys(query)[0];
          if (q !== undefined)
            throw new ValidationError([{ field: q, message: 'belongs in the JSON body; the query names the target of a text/csv body' }]);
          input = { kind: 'json', body: req.body as BulkSettings & { rows: unknown[] } };
        }
        const r = await bulk.create(input, { ...(key ? { idempotencyKey: key } : {}), user: userOf(req) });
        return reply
          .code(r.created ? 201 : 200)
          .header('location', `/v1/bulk-launches/${r.report.id}`)
          .send(r.report);
      },
    );
    app.get(
      '/bulk-launches/:id',
      { schema: { tags, params: IdParams, querystring: ReportQuery, response: { 200: BulkReportSchema } } },
      async (req) => {
        const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
        if (limit !== undefined && (limit < 1 || limit > 10_000))
          throw new ValidationError([{ field: 'limit', message: 'must be from 1 to 10000' }]);
        return bulk.report(req.params.id, {
          ...(req.query.afterRow !== undefined ? { afterRow: Number(req.query.afterRow) } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
      },
    );
  };
