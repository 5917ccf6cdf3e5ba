// Request schemas of the inbound routes for external systems (SPEC 6 and 10.1), by token and by
// connector and external reference; strict (unknown fields refused) and bounded, since every value
// lands in a task's integration log and timeline.

import { Type, type Static } from '@sinclair/typebox';
import { MAX_REFERENCE_CHARS } from '../json-limits.ts';
/** Longest message or solution text from a provider. */
export const MAX_TEXT = 10_000;

const text = (description: string) => Type.String({ minLength: 1, maxLength: MAX_TEXT, description });

export const ExternalReference = Type.String({
  minLength: 1,
  maxLength: MAX_REFERENCE_CHARS,
  description: "the provider's own reference",
});

/** POST /v1/connectors/{connector}/inbound/{externalReference}[/…] */
export const ReferenceParams = Type.Object({
  connector: Type.String({ minLength: 1, maxLength: 200, description: 'connector id or name' }),
  externalReference: ExternalReference,
});
export type ReferenceParams = Static<typeof ReferenceParams>;

export const AcknowledgeBody = Type.Object({ externalReference: ExternalReference }, { additionalProperties: false });
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;

export const MessageBody = Type.Object(
  { message: text('an update from the provider, shown on the task') },
  { additionalProperties: false },
);
export type MessageBody = Static<typeof MessageBody>;

export const HandBackBody = Type.Object(
  {
    resolution: Type.Union([Type.Literal('solved'), Type.Literal('closed')]),
    solution: text('what the provider did, shown on the task until an operator accepts or declines it'),
  },
  { additionalProperties: false },
);
export type HandBackBody = Static<typeof HandBackBody>;

/** The headers a signed request carries (documented in OpenAPI; checked by verifyInbound). */
export const SignedHeaders = Type.Object({
  'webhook-id': Type.String({ description: 'unique per message; the same on the sender’s retries' }),
  'webhook-timestamp': Type.String({ description: 'Unix seconds; refused when more than 300 s off' }),
  'webhook-signature': Type.String({ description: 'space-separated v1,<base64 HMAC-SHA256 of "id.timestamp.body">' }),
});
