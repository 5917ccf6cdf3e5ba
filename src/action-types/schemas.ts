// Request schemas of /v1/action-types (TypeBox): shapes and field names, and the OpenAPI document.
// Templates, JSONata expressions, durations and the connector's existence are checked by
// compileActionTypeSpec, which also checks imported files.

import { type Static, Type } from '@sinclair/typebox';
import { Duration, Nullable } from '../connectors/schemas.ts';
import { DateTime, StringEnum } from '../api/schemas.ts';
import { MAX_JSON_DEPTH } from '../json-limits.ts';

export const RetryPolicy = Type.Object(
  {
    maxRetries: Type.Optional(
      Type.Integer({
        description: 'retries after the first attempt; 3 when a new policy leaves it out (a PATCH that leaves it out keeps it)',
      }),
    ),
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

/** A new action type: as a change, with what it cannot be made without. */
export const ActionTypeCreateBody = { ...ActionTypeBody, required: ['name', 'connector'] } as typeof ActionTypeBody;

export const TestActionBody = Type.Object(
  {
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'sample values of the fields' })),
    send: Type.Optional(Type.Boolean({ description: 'send the request once and show the answer', default: false })),
    caseId: Type.Optional(
      Nullable(Type.String({ description: 'a sample value of $caseId for the templates; no case needs to exist (nothing is launched)' })),
    ),
  },
  { additionalProperties: false },
);

const Ms = (description?: string) => Type.Integer({ minimum: 0, description: description ?? 'ms' });

/** A retry policy as the API gives it: every setting, defaults filled in, durations in ms (an action type's, a webhook subscription's). */
export const RetryPolicyViewSchema = Type.Object(
  {
    maxRetries: Type.Integer({ minimum: 0 }),
    interval: Ms(),
    backoff: StringEnum(['fixed', 'exponential'] as const),
    backoffCoefficient: Type.Number(),
    maxInterval: Ms(),
    jitter: Type.Number(),
    window: Type.Optional(Ms('retries stop this long after the first attempt')),
    retryOn: Type.Array(Type.String(), { description: '"connection_error", "timeout", status codes and classes such as "5xx"' }),
  },
  { additionalProperties: false },
);
export type RetryPolicyView = Static<typeof RetryPolicyViewSchema>;

/** An action type as the API gives it: the options as a builder sends them (durations in ms), and what its templates use. */
export const ActionTypeViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    connector: Type.String({ description: "the connector's id" }),
    method: StringEnum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const),
    path: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    body: Type.Object({ format: StringEnum(['json', 'form', 'none'] as const) }, { additionalProperties: true }),
    fields: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }), { description: 'the declared input fields' }),
    completion: Type.Object(
      {
        mode: StringEnum(['response', 'callback'] as const),
        timeout: Type.Optional(Ms('how long a callback may take, ms')),
        heartbeatTimeout: Type.Optional(Ms('longest silence between heartbeats, ms')),
      },
      { additionalProperties: false },
    ),
    retry: RetryPolicyViewSchema,
    allocation: Type.Object({ queue: Type.Optional(Type.String()), user: Type.Optional(Type.String()) }, { additionalProperties: false }),
    response: Type.Object(
      {
        successWhen: Type.Optional(Type.String()),
        output: Type.Optional(Type.String()),
        externalReference: Type.Optional(Type.String()),
        rejectedReason: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    parsedFields: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }), {
      description: 'every field the templates use or declare, with its type',
    }),
    systemTokens: Type.Array(Type.String(), { description: 'the system tokens the templates use, e.g. "$callbackUrl"' }),
    revision: Type.Integer({ minimum: 1 }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);
export type ActionTypeView = Static<typeof ActionTypeViewSchema>;

const HeaderValues = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));

/** 'Test action': the request the action type would send, and with `send`, what came back. */
export const TestActionResultSchema = Type.Object(
  {
    sent: Type.Boolean(),
    request: Type.Object(
      {
        method: Type.String(),
        url: Type.String(),
        headers: Type.Record(Type.String(), Type.String(), { description: "the connector's auth headers are named, not shown" }),
        body: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    response: Type.Optional(
      Type.Object(
        {
          status: Type.Integer(),
          headers: HeaderValues,
          body: Type.Unknown({ description: 'parsed when JSON' }),
          durationMs: Type.Number(),
        },
        { additionalProperties: false, description: 'with `send`: the answer, credentials it echoes redacted' },
      ),
    ),
    error: Type.Optional(
      Type.Object(
        { kind: Type.String(), message: Type.String(), durationMs: Type.Number() },
        { additionalProperties: false, description: 'with `send`: why no answer came' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TestActionResult = Static<typeof TestActionResultSchema>;
