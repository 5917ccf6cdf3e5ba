// What the stores keep for webhooks out and signed inbound requests: subscriptions, the outbox of
// deliveries with their attempts. Both stores map their rows to these shapes.

import type { OutboundEvent } from './events.ts';
import type { EndpointHealth } from './delivery-policy.ts';
import type { RetryPolicyView } from '../action-types/schemas.ts';

export interface WebhookSubscriptionRow extends EndpointHealth {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  /** The builder's retry policy (its API form: every setting, durations in ms); null: the deployment's schedule. */
  retry?: RetryPolicyView | null;
  /** The signing secrets (SigningSecret[] as JSON), encrypted with the SecretBox. */
  secrets: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

/** One event to put in the outbox, with the delivery id it gets for each subscription that wants it. */
export interface WebhookEventRow {
  event: OutboundEvent;
  targets: Array<{ deliveryId: string; subscriptionId: string }>;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookAttemptRow {
  /** From 1. */
  n: number;
  at: number;
  /** The HTTP status, or null when nothing answered. */
  status: number | null;
  durationMs: number;
  /** "HTTP 200", "timed out", "not sent: …". */
  outcome: string;
  /** The start of the response body (capped), or null. */
  excerpt: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  subscriptionId: string;
  eventType: string;
  orderingKey: string;
  sequence: number;
  /** The exact bytes sent and signed. */
  body: string;
  status: DeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  dueAt: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The end of one attempt, written at once: its row, the delivery's next step, the endpoint's health. */
export interface WebhookAttemptResult {
  deliveryId: string;
  /** The lease holder: a write by a node whose lease was taken over is dropped. */
  owner: string;
  attempt: WebhookAttemptRow;
  status: DeliveryStatus;
  /** When pending: the next attempt's time. */
  dueAt: number | null;
  lastError: string | null;
  subscriptionId: string;
  /** The endpoint's health after the attempt, when it changed. */
  health?: EndpointHealth;
  /** When this attempt disabled the endpoint: told to every admin (`to`: whom their keys act as), in the same transaction. */
  adminNotice?: { message: string; to: string[] };
}

export interface WebhookClaimParams {
  now: number;
  owner: string;
  leaseUntil: number;
  limit: number;
  /** Subscriptions this node is delivering to now: none of theirs is claimed (their attempts are out). */
  skipSubscriptions?: string[];
}
