// Signing outbound webhooks per Standard Webhooks: `whsec_` secrets, HMAC-SHA256 over the exact bytes
// `id.timestamp.body`, and secret rotation with an overlap so receivers never see a gap.

import { createHmac, randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.ts';

export const SECRET_PREFIX = 'whsec_';
/** Standard Webhooks asks for 24–64 bytes of key material. */
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
/** How long the old secret keeps signing after a rotation (Svix's default). */
export const DEFAULT_ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** One signing secret of a subscription; `expiresAt` is set on the old one when it is rotated out. */
export interface SigningSecret {
  secret: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A fresh `whsec_` secret from node:crypto; 32 bytes unless asked otherwise. */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < SECRET_MIN_BYTES || bytes > SECRET_MAX_BYTES)
    throw new RangeError(`a webhook secret has ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes, not ${bytes}`);
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key bytes of a `whsec_` secret, or undefined when it is not one (wrong prefix, not base64, wrong length). */
export function secretKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return undefined;
  const key = Buffer.from(b64, 'base64');
  return key.length >= SECRET_MIN_BYTES && key.length <= SECRET_MAX_BYTES ? key : undefined;
}

/** Checks a secret given by a person (e.g. a connector's `inboundSecret`), naming the field when it is wrong. */
export function assertSecret(field: string, secret: unknown): string {
  if (typeof secret !== 'string' || secretKey(secret) === undefined)
    throw new ValidationError([
      { field, message: `must be "${SECRET_PREFIX}" followed by the base64 of ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} random bytes` },
    ]);
  return secret;
}

/** The HMAC-SHA256 of `id.timestamp.body` under `key`, as raw bytes. */
export function signatureBytes(key: Buffer, id: string, timestampSeconds: number, body: Buffer | string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest();
}

/** One `v1,<base64>` signature entry. */
export function signature(secret: string, id: string, timestampSeconds: number, body: Buffer | string): string {
  const key = secretKey(secret);
  if (!key) throw new RangeError('not a webhook secret');
  return `v1,${signatureBytes(key, id, timestampSeconds, body).toString('base64')}`;
}

/** The secrets that still sign at `now`, newest first. */
export function activeSecrets(secrets: readonly SigningSecret[], now: number): SigningSecret[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Secrets that sign at once, at most: the newest and those it overlaps. Each signs every delivery, so
 * without a cap 500 rotations in a day made a 25 KB signature header, which receivers refused (HTTP 431).
 */
export const MAX_SIGNING_SECRETS = 5;

/**
 * Adds a new secret and gives every other still-active one an expiry `overlapMs` from now (keeping an
 * earlier expiry it already had); expired secrets are dropped, and beyond MAX_SIGNING_SECRETS the
 * oldest stop at once. The new secret is shown once.
 */
export function rotateSecrets(
  secrets: readonly SigningSecret[],
  now: number,
  opts: { overlapMs?: number; secret?: string } = {},
): { secrets: SigningSecret[]; secret: string } {
  const overlapMs = opts.overlapMs ?? DEFAULT_ROTATION_OVERLAP_MS;
  if (!Number.isFinite(overlapMs) || overlapMs < 0) throw new RangeError('the rotation overlap must be 0 or more milliseconds');
  const secret = opts.secret !== undefined ? assertSecret('secret', opts.secret) : generateSecret();
  const until = now + overlapMs;
  const kept = activeSecrets(secrets, now).map((s) => ({ ...s, expiresAt: s.expiresAt === null ? until : Math.min(s.expiresAt, until) }));
  const overlapping = kept.filter((s) => s.expiresAt > now).sort((a, b) => b.createdAt - a.createdAt);
  return { secrets: [{ secret, createdAt: now, expiresAt: null }, ...overlapping.slice(0, MAX_SIGNING_SECRETS - 1)], secret };
}

/**
 * The Standard Webhooks headers for one delivery attempt: the message id (the same on every retry),
 * this attempt's time in Unix seconds, and one signature per active secret.
 */
export function signWebhook(secrets: readonly SigningSecret[], id: string, now: number, body: Buffer | string): WebhookHeaders {
  const active = activeSecrets(secrets, now);
  if (active.length === 0) throw new RangeError('the subscription has no active signing secret');
  // The id goes into the signed bytes verbatim; a dot or space in it would make the content ambiguous.
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(id)) throw new RangeError('a webhook id is 1 to 200 letters, digits, "_" or "-"');
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': active.map((s) => signature(s.secret, id, timestamp, body)).join(' '),
  };
}
