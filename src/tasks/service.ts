// Task work beyond pick-up and complete (SPEC 10.1): assigning a task to a queue and/or a person, and
// notes on its timeline. Both go through the engine, so they are guarded writes like every transition.

import { Problems, ValidationError } from '../errors.ts';
import { MAX_TEXT_CHARS } from '../json-limits.ts';
import type { Store } from '../store/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import { queueMembers } from '../store/allocation.ts';
import type { AssignBody, NoteBody } from './schemas.ts';

export class TaskService {
  constructor(private readonly d: { store: Store; engine: Engine; actions: ActionService }) {}

  /**
   * To a person (who must exist and be enabled; a member of `queue` when one is given), to a queue
   * (which must exist; its allocation then picks the person), or both. `me` is the caller, who may
   * take any task over (a task In Progress with someone is completed only by them; see the lifecycle).
   */
  async assign(id: string, user: string, body: AssignBody): Promise<ActionView> {
    const p = new Problems();
    if (body.queue === undefined && body.assignee === undefined) p.add('', 'give a queue, an assignee or both');
    const assignee = body.assignee === 'me' ? user : body.assignee;
    const queue = body.queue === undefined ? undefined : await this.d.store.getQueue(body.queue);
    if (body.queue !== undefined && !queue) p.add('queue', `no queue ${JSON.stringify(body.queue)} exists`);
    if (assignee !== undefined) {
      // `me` is whoever calls, as picking up is: a key without a user takes work under the name it acts
      // as (its key is usable, so a user it acts as exists and is enabled). Others must be users.
      const u = body.assignee === 'me' ? undefined : await this.d.store.getUser(assignee);
      if (body.assignee !== 'me' && !u) p.add('assignee', `no user ${JSON.stringify(assignee)} exists`);
      else if (u?.disabled) p.add('assignee', `${assignee} is disabled`);
      else if (queue && !queueMembers(queue).includes(assignee)) p.add('assignee', `${assignee} is not a member of queue ${queue.name}`);
    }
    p.throwIfAny();
    await this.d.engine.apply(id, {
      type: 'assigned',
      user,
      ...(body.queue !== undefined ? { queue: body.queue } : {}),
      ...(assignee !== undefined ? { assignee } : {}),
    });
    // Read back: the queue's allocation may have chosen the person in the same transaction.
    return this.d.actions.getAction(id);
  }

  async note(id: string, user: string, body: NoteBody): Promise<ActionView> {
    // Bounded and non-blank for library callers too, not only by the route's schema.
    if (typeof body.note !== 'string' || body.note.trim() === '' || body.note.length > MAX_TEXT_CHARS)
      throw new ValidationError([{ field: 'note', message: `must be 1–${MAX_TEXT_CHARS} characters, not only spaces` }]);
    await this.d.engine.apply(id, { type: 'message', text: body.note, actor: `user:${user}` });
    return this.d.actions.getAction(id);
  }
}
