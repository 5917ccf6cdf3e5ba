// Request schemas of the callback routes (TypeBox): what an external system may send with an
// action's callback token. Lengths and the size of `data` stay domain checks (service.ts), so their
// messages name the limit the same way everywhere.

import { Type, type Static } from '@sinclair/typebox';
import { MAX_CALLBACK_DATA_BYTES, MAX_REFERENCE_CHARS, MAX_TEXT_CHARS } from '../json-limits.ts';

/**
 * The largest body a callback route reads: its data's limit and room for the rest. These routes are
 * public (a token, not a key), so they do not read the API's 5 MB before the token is checked.
 */
export const CALLBACK_BODY_LIMIT = MAX_CALLBACK_DATA_BYTES + 64 * 1024;

const REFERENCE = `the external system’s reference; at most ${MAX_REFERENCE_CHARS} characters`;

export const TokenParams = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 300, description: 'the action’s callback token' }),
});
export type TokenParams = Static<typeof TokenParams>;

export const CallbackBody = Type.Object(
  {
    outcome: Type.Unsafe<'success' | 'failure'>({ type: 'string', enum: ['success', 'failure'] }),
    data: Type.Optional(Type.Unknown({ description: 'the result; at most 1 MB as JSON, nested at most 32 levels' })),
    reason: Type.Optional(Type.String({ description: `why it failed; at most ${MAX_TEXT_CHARS} characters` })),
    externalReference: Type.Optional(Type.String({ description: REFERENCE })),
  },
  { additionalProperties: false },
);
export type CallbackBody = Static<typeof CallbackBody>;

export const AcknowledgeBody = Type.Object(
  { externalReference: Type.String({ minLength: 1, description: REFERENCE }) },
  { additionalProperties: false },
);
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;

export const HeartbeatBody = Type.Object(
  { note: Type.Optional(Type.String({ description: `progress, shown on the timeline; at most ${MAX_TEXT_CHARS} characters` })) },
  { additionalProperties: false },
);
export type HeartbeatBody = Static<typeof HeartbeatBody>;

export const MessageBody = Type.Object(
  { message: Type.String({ minLength: 1, description: `the text of the update; at most ${MAX_TEXT_CHARS} characters` }) },
  { additionalProperties: false },
);
export type MessageBody = Static<typeof MessageBody>;
