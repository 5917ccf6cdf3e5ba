// Request schemas of /v1/connectors (TypeBox): the single check of shapes and field names, and the
// OpenAPI document. Ranges, names, the fields each auth type needs, durations and a reachable base URL
// are checked by compileConnector (which also checks imported files) in one pass that names every bad
// field at once; a range in the schema would stop the request before that pass and hide the others.

import { Type, type TSchema } from '@sinclair/typebox';
import { StringEnum } from '../api/schemas.ts';

/** A number of milliseconds or a text such as "200ms", "30s", "5m", "24h". */
export const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ description: 'e.g. "200ms", "30s", "5m", "24h"' })], {
  description: 'milliseconds, or a text such as "200ms", "30s", "5m", "24h"',
});

/** A field the domain reads as "not set": null clears it on PATCH. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const Auth = Type.Object(
  {
    type: StringEnum(['none', 'basic', 'bearer', 'header', 'oauth2_client_credentials', 'oauth2_refresh_token'], {
      description: 'how Callout authenticates to the API',
    }),
  },
  {
    // The fields of each type (username/password, token, headers, tokenUrl/clientId/clientSecret/...)
    // are checked by the domain with the type in hand: one union per type would bury the one real
    // mistake under the other types' complaints.
    additionalProperties: true,
    description: 'secrets (password, token, header values, clientSecret, refreshToken) are write-only',
  },
);

export const ConnectorBody = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'unique; 1–100 letters, digits, spaces, "_", "." or "-"' })),
    description: Type.Optional(Nullable(Type.String({ description: 'at most 2000 characters' }))),
    baseUrl: Type.Optional(Type.String({ description: 'https URL every action type of this connector is sent to' })),
    auth: Type.Optional(Auth),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'sent with every request' })),
    rateLimits: Type.Optional(
      Type.Array(
        Type.Object(
          { limit: Type.Integer({ description: 'requests, at least 1' }), per: Duration },
          { additionalProperties: false, description: 'at most `limit` requests per `per`, across all nodes' },
        ),
      ),
    ),
    maxConcurrency: Type.Optional(Nullable(Type.Integer({ description: 'requests in flight at once, across all nodes; at least 1' }))),
    circuitBreaker: Type.Optional(
      Type.Union([
        Type.Object(
          {
            failureThreshold: Type.Optional(Type.Integer({ description: 'failures in a row that open the circuit; at least 1' })),
            cooldown: Type.Optional(Duration),
          },
          { additionalProperties: false },
        ),
        Type.Literal(false),
        Type.Null(),
      ]),
    ),
    timeout: Type.Optional(Nullable(Duration)),
    inboundSecret: Type.Optional(Nullable(Type.String({ description: 'write-only; signs inbound webhooks' }))),
  },
  { additionalProperties: false },
);
