// Task work beyond pick-up and complete (SPEC 10.1): assigning a task to a queue and/or a person, and
// notes on its timeline. Both go through the engine, so they are guarded writes like every transition.

import { ConflictError, InvalidStateError, NotFoundError, Problems, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MAX_TEXT_CHARS } from '../json-limits.ts';
import type { PendingRelease, Store } from '../store/types.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import type { Engine } from '../engine/engine.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { AssignBody, DueBody, NoteBody } from './schemas.ts';
import { checkDueAt } from './due.ts';
import { checkAssignee } from './assignee.ts';
import { queueNamed } from '../queues/named.ts';
import { queueMembers } from '../store/allocation.ts';

/** Tasks moved back to their queues before the change that releases them answers; the rest right after it, a page at a time. */
const RELEASE_PAGE = 200;
/** Pending releases (members who left a queue) a sweep looks at; each moves a page at most, and a sweep moves a page in all. */
const RELEASES_PER_SWEEP = 20;

export interface Release {
  /** Only tasks on this queue (a member who left it); every queue when absent (a person disabled). */
  queue?: string;
  /** To Do only (a member who left a queue may finish what they picked up), or In Progress too. */
  inProgress: boolean;
  /** Said on each task's timeline. */
  because: string;
  /**
   * Tasks on a queue integrated with a provider too (a person disabled): given back to the queue's
   * people, nothing sent to the provider. Left with a member who leaves such a queue, as before.
   */
  integrated?: boolean;
  /**
   * The `at` of this release's pending record (a member who left a queue: QueueService records it with
   * the queue's change), dropped once the last page is done or the holder is back on the queue.
   */
  recorded?: number;
}

export interface TaskServiceDeps {
  store: Store;
  engine: Engine;
  actions: ActionService;
  logger?: Logger;
  /** Times the sweep for disabled users' tasks and overdue ones (start); not needed otherwise. */
  clock?: Clock;
  /** Tasks per page of a release and of a sweep. @default 200 */
  releasePage?: number;
  /** Runs a release's later pages; @default setImmediate. A node that stops before they run leaves them to the sweep. */
  later?: (fn: () => void) => void;
  /**
   * How often to look for tasks still with disabled users or members who left a queue (a node stopped
   * while giving them back), and for tasks past their due time whose person was not told. @default 5000
   */
  sweepIntervalMs?: number;
  /**
   * How long a member's pending release is left to the node that started it (which normally finishes it
   * in moments) before a sweep takes it up too. @default 10000
   */
  releaseFreshMs?: number;
}

export class TaskService {
  constructor(private readonly d: TaskServiceDeps) {}

  private get page(): number {
    return this.d.releasePage ?? RELEASE_PAGE;
  }

  /**
   * Moves `holder`'s open tasks back to their queues, whose allocation picks someone else (a disabled
   * user or one who left the queue is never picked): work given to someone who cannot do it must not
   * wait on their list. Tasks without a queue stay (there is nowhere to send them). On a queue
   * integrated with a provider, a disabled person's tasks are given back to the queue's people without
   * anything sent to the provider (see `Release.integrated`); a member who leaves one keeps them. A task
   * that changed meanwhile (completed, given to someone else) is left as it now is. The first page
   * is moved before this answers, the rest just after; a disabled user's tasks left by a node that
   * stopped meanwhile are moved by the sweep (start), and the same change made again moves any. One
   * enabled again (or put back on the queue) before a task is moved keeps it and what is left.
   */
  async release(holder: string, by: string, r: Release): Promise<number> {
    let moved = await this.releasePage(holder, by, r, 'todo');
    if (r.inProgress) moved += await this.releasePage(holder, by, r, 'in_progress');
    return moved;
  }

  /** One page of `holder`'s tasks in `state`, newest first; the next page after this one answers. */
  private async releasePage(holder: string, by: string, r: Release, state: 'todo' | 'in_progress', before?: string): Promise<number> {
    const p = await this.movePage(holder, by, r, state, before);
    if (p.next !== undefined) {
      const next = p.next;
      (this.d.later ?? setImmediate)(
        () =>
          void this.releasePage(holder, by, r, state, next).catch((err: unknown) =>
            this.d.logger?.warn(
              { err, holder },
              'moving the tasks of a person back to their queues stopped; making the change again goes on',
            ),
          ),
      );
    } else if (p.back || state === 'in_progress' || !r.inProgress) await this.settled(holder, r);
    return p.moved;
  }

  /**
   * One page of `holder`'s tasks in `state` (after `before`), each given back unless the holder is back
   * (`back`: the rest stays theirs). `next`: the page was full, so more may follow after it; `read`: its length.
   */
  private async movePage(
    holder: string,
    by: string,
    r: Release,
    state: 'todo' | 'in_progress',
    before?: string,
  ): Promise<{ moved: number; read: number; next?: string; back?: true }> {
    const page = await this.d.store.listActions({
      assignee: holder,
      state,
      ...(r.queue !== undefined ? { queue: r.queue } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: this.page,
    });
    let moved = 0;
    const integrated = new Map<string, boolean>();
    for (const a of page) {
      // Enabled again, or back on the queue, meanwhile (the later pages run after the change answered): the rest stays theirs.
      if (!(await this.stillGoes(holder, r.queue))) return { moved, read: page.length, back: true };
      if (a.queue === null) continue;
      // A member leaving an integrated queue keeps its tasks, as before a release could skip the provider.
      if (!r.integrated) {
        if (!integrated.has(a.queue)) integrated.set(a.queue, Boolean((await this.d.store.getQueue(a.queue))?.doc.integration));
        if (integrated.get(a.queue)) continue;
      }
      if (await this.giveBack(a, by, r.because)) moved++;
    }
    return { moved, read: page.length, ...(page.length === this.page ? { next: page.at(-1)!.id } : {}) };
  }

  /** A member's release is over (its last page done, or they are back on the queue): its record goes. */
  private async settled(holder: string, r: Release): Promise<void> {
    if (r.recorded !== undefined && r.queue !== undefined)
      await this.d.store.dropPendingRelease({ holder, queue: r.queue, at: r.recorded });
  }

  /** Whether `holder` still cannot do the work given back: still disabled (or gone); with `queue`, still off it. */
  private async stillGoes(holder: string, queue?: string): Promise<boolean> {
    if (queue === undefined) return (await this.d.store.getUser(holder))?.disabled !== false;
    const q = await this.d.store.getQueue(queue);
    return q === undefined || !queueMembers(q).includes(holder);
  }

  /**
   * `a` back to its queue, from its person (a release: see the `assigned` event's `from`), unless it
   * changed meanwhile (closed, or given to someone else): then it is left as it now is. A store that fails is not.
   */
  private async giveBack(a: ActionRecord, by: string, because: string): Promise<boolean> {
    try {
      await this.d.engine.apply(a.id, { type: 'assigned', user: by, queue: a.queue!, from: a.assignee!, because }, a);
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof InvalidStateError)) throw err;
      return false;
    }
  }

  // ---- the sweep: no disabled user keeps open work

  private sweepTimer: TimerHandle | null = null;
  private sweeping: Promise<unknown> | null = null;
  private running = false;

  /**
   * Looks now, and every `sweepIntervalMs`, for open tasks still with a disabled user, and for members'
   * releases left pending, and gives them back (sweep): what a node that stopped while releasing them
   * left is moved by any node within seconds. The same sweep tells people of their overdue tasks.
   */
  start(): void {
    if (this.running || !this.d.clock) return;
    this.running = true;
    this.scheduleSweep(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    await this.sweeping;
  }

  private scheduleSweep(ms: number): void {
    this.sweepTimer = this.d.clock!.setTimer(ms, () => {
      const run = this.sweep().then(
        // A full page: more may be waiting, looked at once; otherwise at the next interval.
        (n) => (n.full && n.moved > 0 ? 0 : (this.d.sweepIntervalMs ?? 5000)),
        (err: unknown) => {
          this.d.logger?.warn(
            { err },
            'the task sweep (giving back the tasks of disabled users or of members who left a queue, telling of overdue tasks) failed; the next sweep tries again',
          );
          return this.d.sweepIntervalMs ?? 5000;
        },
      );
      this.sweeping = run.then((next) => {
        if (this.running) this.scheduleSweep(next);
      });
    });
  }

  /**
   * One page of open tasks still with disabled users, each given back to its queue as release() does
   * (integrated queues included, nothing sent to their providers); one indexed query when there are none.
   * Then a page of the To Do tasks of members' releases left pending (not fresh: see `releaseFreshMs`).
   * `full`: a page was full, so more may be waiting.
   */
  async sweep(): Promise<{ moved: number; full: boolean }> {
    const page = await this.d.store.listTasksOfDisabledUsers(this.page);
    let moved = 0;
    for (const a of page) {
      // Read just before: one enabled again since the page was read keeps the task.
      if (!(await this.stillGoes(a.assignee!))) continue;
      if (await this.giveBack(a, 'system', `${a.assignee!} was disabled`)) moved++;
    }
    const released = await this.sweepReleases();
    const overdue = await this.sweepOverdue();
    return {
      moved: moved + released.moved + overdue.told,
      full: page.length === this.page || released.full || overdue.full,
    };
  }

  /**
   * A page of open tasks past their due time whose person was not told, each told now (the `overdue`
   * event: a notice to the person, the timeline, a webhook event); one indexed read when there are none.
   * A task changed meanwhile, or told by another node's sweep first, is left as it is.
   */
  async sweepOverdue(): Promise<{ told: number; full: boolean }> {
    const page = await this.d.store.listOverdueToNotice(this.d.clock?.now() ?? Date.now(), this.page);
    let told = 0;
    for (const a of page) {
      try {
        await this.d.engine.apply(a.id, { type: 'overdue' }, a);
        told++;
      } catch (err) {
        if (!(err instanceof ConflictError || err instanceof InvalidStateError || err instanceof NotFoundError)) throw err;
      }
    }
    return { told, full: page.length === this.page };
  }

  /**
   * Members' releases whose node may have stopped between pages: a page of each (a page in all), as
   * the node would have moved it; a release whose last page is done, or whose holder is back, is dropped.
   * Another node working the same one is harmless: each task's move is guarded by the task as read.
   */
  private async sweepReleases(): Promise<{ moved: number; full: boolean }> {
    const now = this.d.clock?.now() ?? Date.now();
    const pending = await this.d.store.listPendingReleases(now - (this.d.releaseFreshMs ?? 10_000), RELEASES_PER_SWEEP);
    let moved = 0;
    let looked = 0;
    let full = pending.length === RELEASES_PER_SWEEP;
    for (const p of pending) {
      if (looked >= this.page) return { moved, full: true };
      let n;
      try {
        n = await this.sweepRelease(p);
      } catch (err) {
        // One that fails (its queue unreadable, a task's move refused by the store) must not hold back
        // the releases listed after it, sweep after sweep: it is tried again at the next.
        this.d.logger?.warn(
          { err, holder: p.holder, queue: p.queue },
          'giving back the tasks of a member who left a queue failed; the next sweep tries again',
        );
        continue;
      }
      moved += n.moved;
      looked += n.looked;
      if (n.more) full = true;
    }
    return { moved, full };
  }

  /** One page of a pending release, from the first: those moved are no longer the holder's. */
  private async sweepRelease(p: PendingRelease): Promise<{ moved: number; looked: number; more: boolean }> {
    const q = await this.d.store.getQueue(p.queue);
    // Gone, or integrated with a provider (the member keeps those tasks), or the holder is back: nothing to move.
    if (q === undefined || q.doc.integration || queueMembers(q).includes(p.holder)) {
      await this.d.store.dropPendingRelease(p);
      return { moved: 0, looked: 0, more: false };
    }
    const r: Release = { queue: p.queue, inProgress: false, because: p.because, recorded: p.at };
    const page = await this.movePage(p.holder, p.by, r, 'todo');
    if (page.next === undefined) await this.settled(p.holder, r);
    return { moved: page.moved, looked: page.read, more: page.next !== undefined };
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
    const from = body.from === 'me' ? user : body.from;
    const queue = body.queue === undefined ? undefined : await queueNamed(this.d.store, p, body.queue);
    if (body.assignee !== undefined) await checkAssignee(this.d.store, p, body.assignee, user, queue);
    p.throwIfAny();
    await this.d.engine.apply(id, {
      type: 'assigned',
      user,
      ...(body.queue !== undefined ? { queue: body.queue } : {}),
      ...(assignee !== undefined ? { assignee } : {}),
      ...(from !== undefined ? { from } : {}),
    });
    // Read back: the queue's allocation may have chosen the person in the same transaction.
    return this.d.actions.getAction(id);
  }

  /**
   * Sets (a date-time) or clears (null) when the work on a To Do or In Progress action is due; the
   * timeline says who. A closed or waiting action refuses (409); the same time again changes nothing.
   */
  async setDue(id: string, user: string, body: DueBody): Promise<ActionView> {
    const p = new Problems();
    // A library caller without the route's schema may leave it out: said, rather than read as a clear.
    if (body.dueAt === undefined) p.add('dueAt', 'is required: a date-time, or null to clear it');
    const dueAt = body.dueAt === null ? null : checkDueAt(p, body.dueAt, 'dueAt', this.d.clock?.now() ?? Date.now());
    p.throwIfAny();
    // Defined: an undefined one was refused above.
    await this.d.engine.apply(id, { type: 'due_changed', user, dueAt: dueAt as number | null });
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
