// Task work beyond pick-up and complete (SPEC 10.1): assigning a task to a queue and/or a person, and
// notes on its timeline. Both go through the engine, so they are guarded writes like every transition.

import { ConflictError, InvalidStateError, Problems, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MAX_TEXT_CHARS } from '../json-limits.ts';
import type { Store } from '../store/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { AssignBody, NoteBody } from './schemas.ts';
import { checkAssignee } from './assignee.ts';

/** Tasks moved back to their queues before the change that releases them answers; the rest right after it. */
const RELEASE_PAGE = 200;

export interface Release {
  /** Only tasks on this queue (a member who left it); every queue when absent (a person disabled). */
  queue?: string;
  /** To Do only (a member who left a queue may finish what they picked up), or In Progress too. */
  inProgress: boolean;
  /** Said on each task's timeline. */
  because: string;
}

export class TaskService {
  constructor(private readonly d: { store: Store; engine: Engine; actions: ActionService; logger?: Logger }) {}

  /**
   * Moves `holder`'s open tasks back to their queues, whose allocation picks someone else (a disabled
   * user or one who left the queue is never picked): work given to someone who cannot do it must not
   * wait on their list. Tasks without a queue stay (there is nowhere to send them), and so do those on
   * a queue integrated with a provider (the provider holds them; moving them would submit them again). A task that
   * changed meanwhile (completed, reassigned) is left as it now is. Safe to repeat: the same change
   * made again releases what a stopped node left.
   */
  async release(holder: string, by: string, r: Release): Promise<number> {
    let moved = await this.releasePage(holder, by, r, 'todo');
    if (r.inProgress) moved += await this.releasePage(holder, by, r, 'in_progress');
    return moved;
  }

  /** One page of `holder`'s tasks in `state`, newest first; the next page after this one answers. */
  private async releasePage(holder: string, by: string, r: Release, state: 'todo' | 'in_progress', before?: string): Promise<number> {
    const page = await this.d.store.listActions({
      assignee: holder,
      state,
      ...(r.queue !== undefined ? { queue: r.queue } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: RELEASE_PAGE,
    });
    let moved = 0;
    const integrated = new Map<string, boolean>();
    for (const a of page) {
      if (a.queue === null) continue;
      // On a queue integrated with a provider, moving it there again would submit it to the provider again.
      if (!integrated.has(a.queue)) integrated.set(a.queue, Boolean((await this.d.store.getQueue(a.queue))?.doc.integration));
      if (integrated.get(a.queue)) continue;
      try {
        await this.d.engine.apply(a.id, { type: 'assigned', user: by, queue: a.queue, because: r.because }, a);
        moved++;
      } catch (err) {
        // Changed meanwhile (closed, taken by someone): left as it now is. A store that fails is not.
        if (!(err instanceof ConflictError || err instanceof InvalidStateError)) throw err;
      }
    }
    if (page.length === RELEASE_PAGE)
      setImmediate(
        () =>
          void this.releasePage(holder, by, r, state, page.at(-1)!.id).catch((err: unknown) =>
            this.d.logger?.warn(
              { err, holder },
              'moving the tasks of a person back to their queues stopped; making the change again goes on',
            ),
          ),
      );
    return moved;
  }

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
    if (body.assignee !== undefined) await checkAssignee(this.d.store, p, body.assignee, user, queue);
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
