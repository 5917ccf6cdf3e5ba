// Verifying signed inbound requests (routes that address an action by connector and external
// reference): Standard Webhooks headers, HMAC-SHA256 over the raw `id.timestamp.body` with the
// connector's `inboundSecret`, ±300 s, constant-time comparison and a replay guard. Every failure is
// the same error, so a forged signature, a stale request and an unknown reference look alike.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CalloutError } from '../errors.ts';
import { secretKey, signatureBytes } from '../webhooks/sign.ts';

/** The reference libraries' tolerance, checked both ways (a clock running ahead is as suspect as a stale one). */
export const INBOUND_TOLERANCE_SECONDS = 300;
/** Ids are remembered for longer than any sender's retry horizon (days, not minutes). */
export const REPLAY_MEMORY_MS = 7 * 86_400_000;
export const INBOUND_REFUSAL = "the request is not signed by this connector's inbound secret or is not fresh";

const MAX_ID_LENGTH = 256;
const MAX_SIGNATURE_HEADER = 4096;
const MAX_SIGNATURES = 10;
const SHA256_BYTES = 32;
// Used when there is no secret to check against, so an unknown reference costs the same HMAC as a known one.
const DECOY_KEY = randomBytes(32);

/** The one refusal of an inbound signed request (401); it never says which check failed. */
export class InboundSignatureError extends CalloutError {
  constructor() {
    super('UNAUTHORIZED', INBOUND_REFUSAL);
    this.name = 'InboundSignatureError';
  }
}

/**
 * Remembers message ids. `seen` records `id` until `until` (epoch ms) and answers whether it was
 * already recorded and not yet expired; of two concurrent calls with one id exactly one gets false
 * (the store implements it with a unique key).
 */
export interface ReplayGuard {
  seen(id: string, until: number): boolean | Promise<boolean>;
}

/** An in-process replay guard, for tests and single-node embedding. */
export class MemoryReplayGuard implements ReplayGuard {
  // Insertion order is expiry order as long as callers use one memory period, so pruning stops early.
  private readonly ids = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  seen(id: string, until: number): boolean {
    const now = this.now();
    for (const [k, exp] of this.ids) {
      if (exp > now) break;
      this.ids.delete(k);
    }
    const exp = this.ids.get(id);
    if (exp !== undefined && exp > now) return true;
    this.ids.delete(id);
    this.ids.set(id, until);
    return false;
  }
  get size(): number {
    return this.ids.size;
  }
}

export type InboundHeaders = Record<string, string | string[] | undefined>;

export interface VerifyInboundOptions {
  /** The connector's `inboundSecret`; null or undefined when the connector or reference is unknown or has none. */
  secret: string | null | undefined;
  /** Namespaces the remembered ids, e.g. the connector id, so two senders' ids never collide. */
  scope: string;
  replayGuard: ReplayGuard;
  now: number;
  /** @default 300 */
  toleranceSeconds?: number;
  /** @default 7 days */
  rememberMs?: number;
}

export interface VerifiedInbound {
  id: string;
  /** Unix seconds, as sent. */
  timestamp: number;
  /** The id as the replay guard keeps it (in its scope): forgotten if the request is then refused. */
  spent: string;
}

function single(headers: InboundHeaders, name: string, max: number): string | undefined {
  const v = headers[name];
  // A repeated header arrives as an array: ambiguous, so refused.
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

/** True when any `v1,<base64>` entry is the expected HMAC; compared in constant time on equal-length buffers. */
function anyMatches(header: string, expected: Buffer): boolean {
  let matched = false;
  for (const entry of header.split(' ').slice(0, MAX_SIGNATURES)) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (given.length === SHA256_BYTES && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

/** Checks an inbound request over its raw body bytes; resolves with its id or throws InboundSignatureError. */
export async function verifyInbound(headers: InboundHeaders, body: Buffer, opts: VerifyInboundOptions): Promise<VerifiedInbound> {
  const id = single(headers, 'webhook-id', MAX_ID_LENGTH);
  const ts = single(headers, 'webhook-timestamp', 12);
  const sig = single(headers, 'webhook-signature', MAX_SIGNATURE_HEADER);
  if (id === undefined || ts === undefined || sig === undefined || !/^\d+$/.test(ts)) throw new InboundSignatureError();
  const timestamp = Number(ts);
  const tolerance = opts.toleranceSeconds ?? INBOUND_TOLERANCE_SECONDS;
  if (Math.abs(Math.floor(opts.now / 1000) - timestamp) > tolerance) throw new InboundSignatureError();
  const key = opts.secret ? secretKey(opts.secret) : undefined;
  const matched = anyMatches(sig, signatureBytes(key ?? DECOY_KEY, id, timestamp, body));
  if (!key || !matched) throw new InboundSignatureError();
  // Only a genuine request spends its id, so a forger cannot block the sender's real one.
  if (await opts.replayGuard.seen(`${opts.scope}:${id}`, opts.now + (opts.rememberMs ?? REPLAY_MEMORY_MS)))
    throw new InboundSignatureError();
  return { id, timestamp, spent: `${opts.scope}:${id}` };
}
