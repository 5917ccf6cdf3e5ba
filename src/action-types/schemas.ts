// Request schemas of /v1/action-types (TypeBox): shapes and field names, and the OpenAPI document.
// Templates, JSONata expressions, durations and the connector's existence are checked by
// compileActionTypeSpec, which also checks imported files.

import { Type } from '@sinclair/typebox';
import { Duration, Nullable } from '../connectors/schemas.ts';
import { StringEnum } from '../api/schemas.ts';
import { MAX_JSON_DEPTH } from '../json-limits.ts';

export const RetryPolicy = Type.Object(
  {
    maxRetries: Type.Optional(Type.Integer({ default: 3, description: 'retries after the first attempt' })),
    interval: Type.Optional(Duration),
    backoff: Type.Optional(StringEnum(['fixed', 'exponential'])),
    backoffCoefficient: Type.Optional(Type.Number()),
    maxInterval: Type.Optional(Duration),
    jitter: Type.Optional(Type.Number()),
    window: Type.Optional(Duration),
    retryOn: Type.Optional(
      Type.Array(Type.Union([Type.String(), Type.Number()]), { description: 'status codes or classes such as "5xx"' }),
    ),
  },
  { additionalProperties: false, description: 'when and how often a failed attempt is retried' },
);

const Expression = Nullable(Type.String({ description: 'JSONata, at most 10000 characters' }));

export const ActionTypeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'unique; 1–100 letters, digits, spaces, "_", "." or "-"' })),
    description: Type.Optional(Nullable(Type.String({ description: 'at most 2000 characters' }))),
    connector: Type.Optional(Type.String({ description: 'connector id or name' })),
    method: Type.Optional(Type.String({ description: 'GET, POST, PUT, PATCH or DELETE' })),
    path: Type.Optional(Type.String({ description: 'template appended to the connector base URL' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'header templates' })),
    // The keys of a body depend on its format (json: template, form: fields); the domain checks them.
    body: Type.Optional(
      Nullable(
        Type.Object(
          { format: StringEnum(['json', 'form', 'none']) },
          { additionalProperties: true, description: '{ format: "json", template } or { format: "form", fields } or { format: "none" }' },
        ),
      ),
    ),
    fields: Type.Optional(
      Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }), {
        description: `the input fields a launch gives, by name (types, required, limits); nested at most ${MAX_JSON_DEPTH} levels`,
      }),
    ),
    completion: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(StringEnum(['response', 'callback'])),
          timeout: Type.Optional(Nullable(Duration)),
          heartbeatTimeout: Type.Optional(Nullable(Duration)),
        },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(RetryPolicy),
    allocation: Type.Optional(
      Type.Object(
        {
          queue: Type.Optional(Nullable(Type.String({ description: 'at most 200 characters' }))),
          user: Type.Optional(Nullable(Type.String({ description: 'at most 200 characters' }))),
        },
        { additionalProperties: false, description: 'who gets the action when it needs a person' },
      ),
    ),
    response: Type.Optional(
      Type.Object(
        {
          successWhen: Type.Optional(Expression),
          output: Type.Optional(Expression),
          externalReference: Type.Optional(Expression),
          rejectedReason: Type.Optional(Expression),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TestActionBody = Type.Object(
  {
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'sample values of the fields' })),
    send: Type.Optional(Type.Boolean({ description: 'send the request once and show the answer', default: false })),
    caseId: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
);
