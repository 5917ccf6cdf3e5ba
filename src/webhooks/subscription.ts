// The webhook subscription request: its TypeBox schema (the route's validation and OpenAPI) and the
// domain checks the schema cannot say, with errors naming the field. Whether the URL's address is
// allowed (private networks) is decided at send time, after DNS, by the engine's guarded connector.

import { Type, type Static } from '@sinclair/typebox';
import { Problems, ValidationError } from '../errors.ts';
import { schemaProblems } from '../validation/schema-problems.ts';
import { DateTime } from '../api/schemas.ts';
import { EVENT_TYPES, isEventPattern } from './events.ts';
import { ALLOW_HINT, isLocalHostName } from '../connectors/destination.ts';
import { RetryPolicy, RetryPolicyViewSchema, type RetryPolicyView } from '../action-types/schemas.ts';
import { compileRetryPolicy, describeRetryPolicy } from '../lifecycle/retry-policy.ts';

const EVENTS_HINT = `must be an event type (${EVENT_TYPES.join(', ')}), a group such as "action.*", or "*"`;

const fields = {
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives the events' }),
  events: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    minItems: 1,
    maxItems: 50,
    description: `event types (${EVENT_TYPES.join(', ')}), group wildcards such as "action.*", or "*"`,
  }),
  description: Type.String({ maxLength: 500 }),
  enabled: Type.Boolean({ description: 'false holds deliveries (nothing is dropped)' }),
  // An action type's retry policy, the same schema and meaning; without it, Standard Webhooks' schedule.
  retry: RetryPolicy,
};

export const WebhookSubscriptionBody = Type.Object(
  {
    url: fields.url,
    events: fields.events,
    description: Type.Optional(fields.description),
    enabled: Type.Optional(fields.enabled),
    retry: Type.Optional(fields.retry),
  },
  { additionalProperties: false },
);
export type WebhookSubscriptionBody = Static<typeof WebhookSubscriptionBody>;

/**
 * The same policy, or null to remove it. A subscription's PATCH gives its whole policy (an action
 * type's merges into the one it has), so maxRetries left out is 3 here: said in this copy's words.
 */
const { maxRetries: _, ...retryRest } = RetryPolicy.properties;
const RetryPolicyOrNull = Type.Union(
  [
    Type.Object(
      {
        maxRetries: Type.Optional(
          Type.Integer({ description: 'retries after the first attempt; 3 when left out (a PATCH gives the whole policy)' }),
        ),
        ...retryRest,
      },
      { additionalProperties: false, description: RetryPolicy.description },
    ),
    Type.Null(),
  ],
  { description: "null: back to Standard Webhooks' schedule" },
);

export const WebhookSubscriptionPatch = Type.Object(
  {
    url: Type.Optional(fields.url),
    events: Type.Optional(fields.events),
    description: Type.Optional(Type.Union([fields.description, Type.Null()])),
    enabled: Type.Optional(fields.enabled),
    retry: Type.Optional(RetryPolicyOrNull),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type WebhookSubscriptionPatch = Static<typeof WebhookSubscriptionPatch>;

export interface SubscriptionSettings {
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  /** The retry policy as the API gives it (every setting, durations in ms); absent (or null) for the default schedule. */
  retry?: RetryPolicyView | null;
}

/** Where subscriptions may point: loopback and private addresses only when the deployment allows them. */
export interface SubscriptionContext {
  allowPrivateNetworks: boolean;
}

function checkUrl(url: string, p: Problems, ctx: SubscriptionContext): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    p.add('url', 'must be an absolute http or https URL');
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') p.add('url', 'must use http or https');
  // Credentials in a URL end up in logs and lists; the signature is the receiver's proof instead.
  else if (u.username || u.password) p.add('url', 'must not contain a user name or password');
  else if (u.hash) p.add('url', 'must not contain a #fragment (it is never sent)');
  // Refused now rather than at every delivery (which refuses it too, after DNS): a name or address
  // plainly local, in any spelling.
  else if (!ctx.allowPrivateNetworks && isLocalHostName(u.hostname))
    p.add('url', `${u.hostname} is a loopback or private address; the deployment does not allow private networks (${ALLOW_HINT})`);
  return u.href;
}

function checkEvents(events: string[], p: Problems): string[] {
  events.forEach((e, i) => {
    if (!isEventPattern(e)) p.add(`events[${i}]`, EVENTS_HINT);
  });
  return [...new Set(events)];
}

/**
 * The body but its retry policy, for the schema check: TypeBox's own checker cannot read the policy's
 * enums (Ajv does, on the route), and checkRetry checks all of it, each field named, as action types do.
 */
function withoutRetry(body: unknown, patch = false): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('retry' in body)) return body;
  const { retry: _retry, ...rest } = body as Record<string, unknown>;
  // A change of the policy alone is still a change: it stands as null (which the patch takes).
  return patch ? { ...rest, retry: null } : rest;
}

/** A retry policy checked by the action types' own rules (fields named `retry.interval` …), in its API form. */
function checkRetry(retry: unknown, p: Problems): RetryPolicyView | null {
  if (retry === undefined || retry === null) return null;
  try {
    // Compiled durations are ms: the described policy's are numbers.
    return describeRetryPolicy(compileRetryPolicy(retry, 'retry')) as RetryPolicyView;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    for (const e of err.errors ?? []) p.add(e.field, e.message);
    return null;
  }
}

/** A create body, checked and normalised (URL as parsed, events without duplicates, `enabled` true by default). */
export function validateSubscription(body: unknown, ctx: SubscriptionContext): SubscriptionSettings {
  const p = new Problems();
  schemaProblems(WebhookSubscriptionBody, withoutRetry(body), p);
  p.throwIfAny();
  const b = body as WebhookSubscriptionBody;
  const url = checkUrl(b.url, p, ctx);
  const events = checkEvents(b.events, p);
  const retry = checkRetry(b.retry, p);
  p.throwIfAny();
  return { url: url!, events, description: b.description ?? null, enabled: b.enabled ?? true, ...(retry ? { retry } : {}) };
}

/** A change to a subscription, applied to its current settings. */
export function applySubscriptionPatch(current: SubscriptionSettings, body: unknown, ctx: SubscriptionContext): SubscriptionSettings {
  const p = new Problems();
  schemaProblems(WebhookSubscriptionPatch, withoutRetry(body, true), p);
  p.throwIfAny();
  const b = body as WebhookSubscriptionPatch;
  const url = b.url !== undefined ? checkUrl(b.url, p, ctx) : current.url;
  const events = b.events !== undefined ? checkEvents(b.events, p) : current.events;
  const retry = b.retry !== undefined ? checkRetry(b.retry, p) : (current.retry ?? null);
  p.throwIfAny();
  return {
    url: url!,
    events,
    description: b.description !== undefined ? b.description : current.description,
    enabled: b.enabled ?? current.enabled,
    ...(retry ? { retry } : {}),
  };
}

/** A subscription as the API gives it; its secret is shown only at creation and rotation. */
export const WebhookViewSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: Type.Union([Type.String(), Type.Null()]),
    enabled: Type.Boolean({ description: 'false when turned off, or disabled by Callout (see disabledAt)' }),
    disabledAt: Type.Union([DateTime, Type.Null()], { description: 'when Callout disabled it (410, or failing for days)' }),
    disabledReason: Type.Union([Type.String(), Type.Null()]),
    failingSince: Type.Union([DateTime, Type.Null()], { description: 'since when every delivery has failed' }),
    retry: Type.Union([RetryPolicyViewSchema, Type.Null()], {
      description: "the retry policy of its deliveries (an action type's, durations in ms); null: Standard Webhooks' schedule",
    }),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String({
      description:
        "the entity tag of the subscriber's settings (url, events, description, enabled, retry), as the ETag header gives it: send it back in If-Match to change them only if nobody did since; Callout disabling it or recording failures does not change it",
    }),
  },
  { additionalProperties: false },
);
export type WebhookView = Static<typeof WebhookViewSchema>;

const Secret = Type.String({ description: 'the signing secret (`whsec_…`), shown this once' });

/** Creation: the subscription and its secret. */
export const WebhookCreatedSchema = Type.Object({ ...WebhookViewSchema.properties, secret: Secret }, { additionalProperties: false });

/** Rotation: the new secret, and until when the previous one still signs. */
export const WebhookRotatedSchema = Type.Object(
  { ...WebhookViewSchema.properties, secret: Secret, previousSecretExpiresAt: DateTime },
  { additionalProperties: false },
);

/** One delivery of an event to a subscription, with every attempt. */
export const DeliveryViewSchema = Type.Object(
  {
    id: Type.String({ description: 'the same on every attempt (the webhook-id header)' }),
    eventType: Type.String(),
    sequence: Type.Integer({ description: 'order among the events of one action or case' }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Array(
      Type.Object(
        {
          at: DateTime,
          status: Type.Union([Type.Integer(), Type.Null()], { description: 'the HTTP status, or null when nothing answered' }),
          durationMs: Type.Number(),
          outcome: Type.String({ description: '"HTTP 200", "timed out", "not sent: …"' }),
          response: Type.Union([Type.String(), Type.Null()], { description: 'the start of the answer' }),
        },
        { additionalProperties: false },
      ),
    ),
    nextAttemptAt: Type.Union([DateTime, Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: DateTime,
  },
  { additionalProperties: false },
);
export type DeliveryView = Static<typeof DeliveryViewSchema>;
