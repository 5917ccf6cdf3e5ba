// Request schemas of /v1/connectors (TypeBox): the single check of shapes and field names, and the
// OpenAPI document. Ranges, names, the fields each auth type needs, durations and a reachable base URL
// are checked by compileConnector (which also checks imported files) in one pass that names every bad
// field at once; a range in the schema would stop the request before that pass and hide the others.

import { type Static, Type, type TSchema } from '@sinclair/typebox';
import { DateTime, MaybeString, MaybeTime, StringEnum } from '../api/schemas.ts';

/** How Callout may authenticate to an API (AuthSpec's kinds). */
export const AUTH_TYPES = ['none', 'basic', 'bearer', 'header', 'oauth2_client_credentials', 'oauth2_refresh_token'] as const;

/** A number of milliseconds or a text such as "200ms", "30s", "5m", "24h". */
export const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ description: 'e.g. "200ms", "30s", "5m", "24h"' })], {
  description: 'milliseconds, or a text such as "200ms", "30s", "5m", "24h"',
});

/** A field the domain reads as "not set": null clears it on PATCH. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const Auth = Type.Object(
  {
    type: StringEnum(AUTH_TYPES, {
      description: 'how Callout authenticates to the API',
    }),
  },
  {
    // The fields of each type (username/password, token, headers, tokenUrl/clientId/clientSecret/...)
    // are checked by the domain with the type in hand: one union per type would bury the one real
    // mistake under the other types' complaints.
    additionalProperties: true,
    description:
      'by type: none; basic { username, password }; bearer { token }; header { headers: { name: value } }; ' +
      'oauth2_client_credentials { tokenUrl, clientId, clientSecret, scope?, audience?, clientAuth?: "body" | "basic" }; ' +
      'oauth2_refresh_token { tokenUrl, clientId, clientSecret?, refreshToken }. ' +
      'Secrets (password, token, header values, clientSecret, refreshToken) are write-only',
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

/** A new connector: as a change, with what it cannot be made without. */
export const ConnectorCreateBody = { ...ConnectorBody, required: ['name', 'baseUrl'] } as typeof ConnectorBody;

/** The connector's shared health, as operators see it (statusView). */
export const ConnectorStatusSchema = Type.Object(
  {
    circuit: StringEnum(['closed', 'open', 'half_open'] as const, { description: '`half_open` while a probe is in flight' }),
    failures: Type.Integer({ minimum: 0, description: 'failures in a row that count toward opening the circuit' }),
    openedAt: Type.Optional(MaybeTime),
    retryAt: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'while open: when a probe may go' })),
    lastError: Type.Optional(MaybeString),
    needsAttention: Type.Union([Type.String(), Type.Null()], { description: 'what a person must fix (credentials refused), or null' }),
  },
  { additionalProperties: false },
);

/** A connector as the API gives it: secrets are never shown, only which are set (`secretsSet`). */
export const ConnectorViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: MaybeString,
    baseUrl: Type.String(),
    auth: Type.Object(
      { type: StringEnum(AUTH_TYPES), headerNames: Type.Optional(Type.Array(Type.String(), { description: 'header auth: the names' })) },
      { additionalProperties: true, description: 'the auth settings without their secrets' },
    ),
    headers: Type.Record(Type.String(), Type.String()),
    rateLimits: Type.Array(Type.Object({ limit: Type.Integer({ minimum: 1 }), per: Type.Integer({ minimum: 1, description: 'ms' }) })),
    maxConcurrency: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    circuitBreaker: Type.Union([
      Type.Object({ failureThreshold: Type.Integer({ minimum: 1 }), cooldown: Type.Integer({ minimum: 0, description: 'ms' }) }),
      Type.Literal(false),
    ]),
    timeout: Type.Integer({ minimum: 1, description: 'attempt timeout, ms' }),
    secretsSet: Type.Array(Type.String(), { description: 'the secret fields that are set, e.g. `auth.token`, `inboundSecret`' }),
    revision: Type.Integer({ minimum: 1 }),
    createdAt: DateTime,
    updatedAt: DateTime,
    status: ConnectorStatusSchema,
  },
  { additionalProperties: false },
);
export type ConnectorView = Static<typeof ConnectorViewSchema>;
export type ConnectorStatusView = Static<typeof ConnectorStatusSchema>;

/** 'Test connection': reachable, and credentials accepted, as two answers. */
export const ConnectionTestSchema = Type.Object(
  {
    reachable: Type.Object({
      ok: Type.Boolean(),
      detail: Type.String(),
      status: Type.Optional(Type.Integer({ description: 'the HTTP status the base URL answered' })),
      durationMs: Type.Number(),
    }),
    authentication: Type.Object({
      ok: Type.Union([Type.Boolean(), Type.Null()], { description: 'null when there is nothing to check, or it could not be' }),
      detail: Type.String(),
    }),
  },
  { additionalProperties: false },
);
