// Who a task may be given to by name: POST /v1/actions/{id}/assign and POST /v1/cases/{id}/tasks
// check the person the same way, so one is never refused by the other.

import type { Problems } from '../errors.ts';
import type { QueueRow, Store } from '../store/types.ts';
import { queueMembers } from '../store/allocation.ts';

/**
 * Adds to `p` (naming `assignee`) what is wrong with giving a task to `asked` (`me`: the caller,
 * `user`): a user who does not exist or is disabled, or who is not a member of `queue` when one is
 * given. `me` is whoever calls, as picking up is: a key without a user takes work under the name it
 * acts as (its key is usable, so a user it acts as exists and is enabled).
 */
export async function checkAssignee(
  store: Pick<Store, 'getUser'>,
  p: Problems,
  asked: string,
  user: string,
  queue: QueueRow | undefined,
): Promise<void> {
  const assignee = asked === 'me' ? user : asked;
  const u = asked === 'me' ? undefined : await store.getUser(assignee);
  if (asked !== 'me' && !u) p.add('assignee', `no user ${JSON.stringify(assignee)} exists`);
  else if (u?.disabled) p.add('assignee', `${assignee} is disabled`);
  else if (queue && !queueMembers(queue).includes(assignee)) p.add('assignee', `${assignee} is not a member of queue ${queue.name}`);
}
