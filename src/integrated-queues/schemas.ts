// Answer schemas of the integrated-queue routes (TypeBox): the OpenAPI document, and the type the
// route checks its handler's answer against.

import { Type } from '@sinclair/typebox';
import { DateTime, StringEnum } from '../api/schemas.ts';
import { REQUEST_TYPES } from './rules.ts';

/** A task's exchanges with its provider, oldest first, as the API gives them. */
export const IntegrationLogSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          requestType: StringEnum(REQUEST_TYPES),
          direction: StringEnum(['Out', 'In'] as const),
          at: DateTime,
          payload: Type.Record(Type.String(), Type.Unknown()),
          result: Type.String(),
          actionId: Type.Union([Type.String(), Type.Null()], { description: 'the action launched for an outbound exchange' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
