// A command or message sent with an Idempotency-Key to something that already exists (a decline of a
// solution, an external system's message by token): the key is kept hashed, with the body's hash, on
// the timeline entry the request writes, where a repeat finds it (a retry's is kept so too: service.ts).

import { ConflictError } from '../errors.ts';
import { requestHash, sha256 } from '../ids.ts';
import type { TimelineKind } from '../lifecycle/action.ts';
import type { Store } from '../store/types.ts';

export interface KeptRequest {
  /** The key, hashed: the timeline is read by every role, the key was the caller's alone. */
  idempotencyKey: string;
  hash: string;
}

export const keptRequest = (key: string, body: unknown): KeptRequest => ({ idempotencyKey: sha256(key), hash: requestHash(body).hash });

/** What the entry keeps of its request (hidden from the timeline's view: actions/views.ts). */
export const keptRequestData = (r: KeptRequest): Record<string, unknown> => ({ requestKey: r.idempotencyKey, requestHash: r.hash });

/**
 * Whether `actor` already wrote an entry of `kind` with this key among its own latest `limit` of that
 * kind (others' entries written since, however many, push nothing out; a sender's own many bound the
 * read); the same key with another body is refused (409, `what` saying which request it was).
 */
export async function keptBefore(
  store: Store,
  actionId: string,
  where: { kind: TimelineKind; actor: string; limit: number },
  r: KeptRequest,
  what: string,
): Promise<boolean> {
  const rows = await store.listTimeline(actionId, { kind: where.kind, actor: where.actor, newestFirst: true, limit: where.limit });
  const first = rows.find((e) => e.data?.requestKey === r.idempotencyKey);
  if (!first) return false;
  if (first.data?.requestHash !== r.hash) throw new ConflictError(`This Idempotency-Key was used for ${what}; send a new key`);
  return true;
}
