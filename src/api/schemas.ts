// Route schemas shared by the API plugins (TypeBox): validation, and the OpenAPI document.

import { Type } from '@sinclair/typebox';
import { MAX_REFERENCE_CHARS, MAX_TEXT_CHARS } from '../json-limits.ts';

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) });

export const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ description: 'e.g. "200ms", "30s", "5m", "24h"' })]);

export const RetryPolicy = Type.Object(
  {
    maxRetries: Type.Optional(Type.Integer({ minimum: 0, default: 3, description: 'retries after the first attempt' })),
    interval: Type.Optional(Duration),
    backoff: Type.Optional(Type.Union([Type.Literal('fixed'), Type.Literal('exponential')])),
    backoffCoefficient: Type.Optional(Type.Number()),
    maxInterval: Type.Optional(Duration),
    jitter: Type.Optional(Type.Number()),
    window: Type.Optional(Duration),
    retryOn: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
  },
  { additionalProperties: true },
);

/** Bodies are checked in depth by the domain (messages name the field); the schema documents them. */
export const ConnectorBody = Type.Object(
  {
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    baseUrl: Type.Optional(Type.String()),
    auth: Type.Optional(Type.Object({ type: Type.String() }, { additionalProperties: true })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    rateLimits: Type.Optional(Type.Array(Type.Object({ limit: Type.Integer(), per: Duration }))),
    maxConcurrency: Type.Optional(Type.Integer()),
    timeout: Type.Optional(Duration),
    inboundSecret: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ActionTypeBody = Type.Object(
  {
    name: Type.Optional(Type.String()),
    connector: Type.Optional(Type.String({ description: 'connector id or name' })),
    method: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    body: Type.Optional(Type.Object({ format: Type.String() }, { additionalProperties: true })),
    fields: Type.Optional(Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
    completion: Type.Optional(
      Type.Object({ mode: Type.Optional(Type.String()), timeout: Type.Optional(Duration), heartbeatTimeout: Type.Optional(Duration) }),
    ),
    retry: Type.Optional(RetryPolicy),
    allocation: Type.Optional(Type.Object({ queue: Type.Optional(Type.String()), user: Type.Optional(Type.String()) })),
    response: Type.Optional(
      Type.Object({
        successWhen: Type.Optional(Type.String()),
        output: Type.Optional(Type.String()),
        externalReference: Type.Optional(Type.String()),
        rejectedReason: Type.Optional(Type.String()),
      }),
    ),
  },
  { additionalProperties: true },
);

export const LaunchBody = Type.Object(
  {
    actionType: Type.String({ description: 'action type id or name' }),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'at most 256 KB as JSON, nested at most 32 levels' })),
    caseId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    startAt: Type.Optional(Type.Union([Type.String({ description: 'ISO date-time' }), Type.Number({ description: 'epoch ms' })])),
  },
  { additionalProperties: true },
);

export const CallbackBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    data: Type.Optional(Type.Unknown({ description: 'at most 1 MB as JSON, nested at most 32 levels' })),
    reason: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
    externalReference: Type.Optional(Type.String({ maxLength: MAX_REFERENCE_CHARS })),
  },
  { additionalProperties: true },
);

export const CompleteBody = Type.Object({
  resolution: Type.Optional(Type.Union([Type.Literal('done_successfully'), Type.Literal('not_done_successfully')])),
  note: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
});

export const ActionListQuery = Type.Object(
  {
    state: Type.Optional(Type.String()),
    phase: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    resolution: Type.Optional(Type.String()),
    actionType: Type.Optional(Type.String()),
    caseId: Type.Optional(Type.String()),
    queue: Type.Optional(Type.String()),
    assignee: Type.Optional(Type.String()),
    externalReference: Type.Optional(Type.String()),
    escalated: Type.Optional(Type.String()),
    before: Type.Optional(Type.String({ description: 'id of the last action of the previous page' })),
    limit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
