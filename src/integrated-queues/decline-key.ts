// A decline of a handed-back solution sent with an Idempotency-Key (a double click, a request repeated
// after its answer was lost, several at once on any node): the key is kept on the decline's own
// timeline entry (a message), where a repeat finds it (actions/timeline-key.ts).

import { keptBefore, keptRequest, type KeptRequest } from '../actions/timeline-key.ts';
import type { Store } from '../store/types.ts';

/** How far back a decline's key is recognised: the caller's own latest messages on the task (a decline's entry is one). */
export const DECLINE_KEYS_LOOKED_AT = 50;

export const declineRequest = (key: string, note: string): KeptRequest => keptRequest(key, { note });

/** Whether `user` already declined this task's solution with this key; the same key with another note is a 409. */
export const declinedWith = (store: Store, taskId: string, user: string, r: KeptRequest): Promise<boolean> =>
  keptBefore(
    store,
    taskId,
    { kind: 'message', actor: `user:${user}`, limit: DECLINE_KEYS_LOOKED_AT },
    r,
    "another decline of this task's solution, with another note",
  );
