// A decline of a handed-back solution sent with an Idempotency-Key (a double click, a request repeated
// after its answer was lost, several at once on any node): the key is kept hashed, with the body's
// hash, on the decline's own timeline entry, where a repeat finds it. As a retry's key (actions/service.ts).

import { ConflictError } from '../errors.ts';
import { requestHash, sha256 } from '../ids.ts';
import type { Store } from '../store/types.ts';

/** How far back a decline's key is recognised: the task's latest messages (a decline's entry is one). */
export const DECLINE_KEYS_LOOKED_AT = 50;

export interface DeclineRequest {
  /** The key, hashed: the timeline is read by every role, the key was the caller's alone. */
  idempotencyKey: string;
  hash: string;
}

export const declineRequest = (key: string, note: string): DeclineRequest => ({
  idempotencyKey: sha256(key),
  hash: requestHash({ note }).hash,
});

/** What the decline's timeline entry keeps of its request (hidden from the timeline's view: actions/views.ts). */
export const declineData = (r: DeclineRequest): Record<string, unknown> => ({ requestKey: r.idempotencyKey, requestHash: r.hash });

/**
 * Whether `user` already declined this task's solution with this key; the same key with another note
 * is refused (409), as a launch's or a retry's is.
 */
export async function declinedWith(store: Store, taskId: string, user: string, r: DeclineRequest): Promise<boolean> {
  const rows = await store.listTimeline(taskId, { kind: 'message', newestFirst: true, limit: DECLINE_KEYS_LOOKED_AT });
  const first = rows.find((e) => e.actor === `user:${user}` && e.data?.requestKey === r.idempotencyKey);
  if (!first) return false;
  if (first.data?.requestHash !== r.hash)
    throw new ConflictError("This Idempotency-Key was used for another decline of this task's solution, with another note; send a new key");
  return true;
}
