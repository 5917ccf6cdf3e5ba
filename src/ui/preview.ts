// POST /v1/action-types/preview-fields: the fields (and their types) and the JSON Schema that a
// set of templates would give an action type, without saving anything, so the builder can show
// them as the template is typed. The same compile step as saving an action type.

import { MAX_FIELDS } from '../templates/fields.ts';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ValidationError } from '../errors.ts';
import { compileTemplates, TemplateError, type BodyTemplate, type FieldDeclarations } from '../templates/index.ts';

const Template = Type.String({ maxLength: 100_000 });

export const PreviewBody = Type.Object(
  {
    path: Type.Optional(Type.String({ maxLength: 4000 })),
    headers: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 8000 }))),
    body: Type.Optional(
      Type.Union([
        Type.Object({ format: Type.Literal('json'), template: Template }, { additionalProperties: false }),
        Type.Object({ format: Type.Literal('form'), fields: Type.Record(Type.String(), Type.String()) }, { additionalProperties: false }),
        Type.Object({ format: Type.Literal('none') }, { additionalProperties: false }),
      ]),
    ),
    fields: Type.Optional(Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
  },
  { additionalProperties: false },
);

interface Preview {
  path?: string;
  headers?: Record<string, string>;
  body?: BodyTemplate;
  fields?: FieldDeclarations;
}

/** What the templates would give the action type: as its `parsedFields` and `systemTokens`, and the launch input's JSON Schema. */
const PreviewAnswer = Type.Object(
  {
    fields: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })),
    systemTokens: Type.Array(Type.String()),
    schema: Type.Object({}, { additionalProperties: true, description: 'JSON Schema (draft-07) of the launch input' }),
  },
  { additionalProperties: false },
);

export const previewRoutes = (): FastifyPluginAsync => async (app) => {
  app.post(
    '/v1/action-types/preview-fields',
    {
      config: { roles: ['builder'] },
      schema: {
        tags: ['action types'],
        summary: 'The parsed fields and JSON Schema of templates, nothing saved',
        body: PreviewBody,
        response: { 200: PreviewAnswer },
      },
    },
    async (req) => {
      const b = req.body as Preview;
      try {
        const t = compileTemplates({ path: b.path ?? '', headers: b.headers ?? {}, body: b.body ?? { format: 'none' } }, b.fields ?? {}, {
          maxFields: MAX_FIELDS,
        });
        return { fields: t.fields, systemTokens: t.systemTokens, schema: t.schema };
      } catch (e) {
        // The location and position let the editor point at the character at fault.
        if (e instanceof TemplateError)
          throw new ValidationError([{ field: e.location, message: `${e.reason} (at position ${e.position})` }]);
        throw e;
      }
    },
  );
};
