// The queue a request's body names (a task's, a case's, an assignment's): by its exact name, as every
// reference to a queue is stored and compared. A name that differs only in case is refused, naming the
// queue meant: /v1/queues/{name} finds it either way, so "Desk" read there and sent here must not
// leave the caller guessing why "no queue exists".

import type { Problems } from '../errors.ts';
import type { QueueRow, Store } from '../store/types.ts';

/** The queue named `ref`, or undefined with the problem added under `field`. */
export async function queueNamed(
  store: Pick<Store, 'getQueue' | 'findQueue'>,
  p: Problems,
  ref: string,
  field = 'queue',
): Promise<QueueRow | undefined> {
  const q = await store.getQueue(ref);
  if (q) return q;
  const like = await store.findQueue(ref);
  p.add(field, like ? differsInCase(ref, like.name) : `no queue ${JSON.stringify(ref)} exists`);
  return undefined;
}

const differsInCase = (ref: string, name: string): string =>
  `no queue ${JSON.stringify(ref)} exists; queue names are exact here: did you mean ${JSON.stringify(name)}?`;

/**
 * What is wrong with a filter's queue, if anything. Any name actions carry may filter (a deleted queue's
 * tasks keep its name; an action type's allocation names a queue as written), but one that only differs
 * in case from a queue's, which no queue and no action has, found nothing without a word: it is refused
 * naming the queue meant.
 */
export async function queueFilterProblem(
  store: Pick<Store, 'getQueue' | 'findQueue' | 'countActionsUpTo'>,
  ref: string,
): Promise<string | undefined> {
  if (await store.getQueue(ref)) return undefined;
  const like = await store.findQueue(ref);
  if (!like || like.name === ref) return undefined;
  return (await store.countActionsUpTo({ queue: ref }, 1)) > 0 ? undefined : differsInCase(ref, like.name);
}
