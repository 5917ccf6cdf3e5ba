// Ad-hoc tasks on a case (POST /v1/cases/{id}/tasks): work a person adds to a case by hand, beside
// its process's steps. Each is the same kind of action a manual step creates (no action type, To Do /
// Manual, SPEC 10.1) on the given queue or the case's own, allocated by that queue as it is inserted,
// and, unless given to a person, submitted to the queue's provider when the queue is integrated with
// one. It is no step of the process: the process neither waits for it nor closes on it; closing the
// case closes it (closeCase).

import { ConflictError, InvalidStateError, NotFoundError, Problems } from '../errors.ts';
import type { QueueRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { requestHash, uuidv7, type RequestHash } from '../ids.ts';
import { toDoAction } from '../lifecycle/manual.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { TASK_NOTIFICATION_KINDS, assignedToYou } from '../lifecycle/transition.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { Engine } from '../engine/engine.ts';
import { checkAssignee } from '../tasks/assignee.ts';
import { checkDueAt } from '../tasks/due.ts';
import { queueNamed } from '../queues/named.ts';
import type { CaseTaskBody } from './schemas.ts';
import { BLANK_MESSAGE, isBlank } from '../validation/blank.ts';

export interface CaseTaskDeps {
  store: Store;
  clock: Clock;
  actions: Pick<ActionService, 'view' | 'complete'>;
  /** Its webhook events (action.launched) and its integrated queues (the provider's Submit Request). */
  engine: Pick<Engine, 'webhookEvents' | 'integrations'>;
  logger?: Logger;
}

export class CaseTaskService {
  constructor(private readonly d: CaseTaskDeps) {}

  /**
   * Adds a task to an open case; `user` is the caller ("me" as the assignee names them). With an
   * idempotency key, the same request again answers the first task (created: false).
   */
  async addTask(
    caseId: string,
    body: CaseTaskBody,
    user: string,
    opts: { idempotencyKey?: string } = {},
  ): Promise<{ task: ActionView; created: boolean }> {
    // The case is part of what the key stands for: the same key on another case is another request.
    const request = opts.idempotencyKey !== undefined ? requestHash({ caseId, ...body }) : undefined;
    if (opts.idempotencyKey !== undefined) {
      const prior = await this.findLaunch(opts.idempotencyKey, request!);
      if (prior) {
        // The first request may have stopped between the insert and the submission (its node died):
        // the repeat submits it, only while its insert's submission is still pending. A task sent,
        // acknowledged and handed back since is To Do again, and must not go to the provider again.
        if (body.assignee === undefined && prior.state === 'todo') {
          await this.submit(prior.id, true);
          const now = await this.d.store.getAction(prior.id);
          if (now) return { task: await this.d.actions.view(now), created: false };
        }
        return { task: prior, created: false };
      }
    }
    const c = await this.d.store.getCase(caseId);
    if (!c) throw new NotFoundError('Case', caseId);
    if (c.status === 'closed') throw new InvalidStateError('The case is closed: it takes no new tasks');

    const p = new Problems();
    if (isBlank(body.title)) p.add('title', BLANK_MESSAGE);
    if (body.note !== undefined && isBlank(body.note)) p.add('note', BLANK_MESSAGE);
    const workDueAt = body.dueAt === undefined || body.dueAt === null ? null : checkDueAt(p, body.dueAt, 'dueAt', this.d.clock.now());
    let queue: QueueRow | undefined;
    if (body.queue !== undefined) {
      queue = await queueNamed(this.d.store, p, body.queue);
    } else if (c.queue) {
      queue = await this.d.store.getQueue(c.queue);
      // Queues are never deleted, so this is a store edited by hand: said rather than a task put nowhere.
      if (!queue) p.add('queue', `the case's queue ${JSON.stringify(c.queue)} no longer exists: name a queue`);
    } else p.add('queue', 'the case has no queue: name the queue the task goes to');
    // As POST /v1/actions/{id}/assign checks a person given with a queue.
    const assignee = body.assignee === 'me' ? user : body.assignee;
    if (body.assignee !== undefined && queue) await checkAssignee(this.d.store, p, body.assignee, user, queue);
    p.throwIfAny();

    const now = this.d.clock.now();
    const actor = `user:${user}` as const;
    const built = toDoAction({
      id: uuidv7(now),
      actionTypeId: null,
      caseId,
      // As a manual step's task: the title is what lists and cards show.
      input: { title: body.title },
      reason: 'manual',
      queue: queue!.name,
      // Named: theirs at once; else the queue's allocation picks someone in the insert's transaction.
      assignee: assignee ?? null,
      message: body.title,
      now,
      actor,
      workDueAt,
    });
    const timeline = [...built.timeline];
    if (assignee !== undefined)
      timeline.push({
        at: now,
        actor,
        kind: 'allocated',
        message: `Assigned to ${assignee} on queue ${queue!.name}`,
        data: { queue: queue!.name, assignee },
      });
    if (body.note !== undefined) timeline.push({ at: now, actor, kind: 'message', message: body.note });
    const events = this.d.engine.webhookEvents?.forLaunch(built.action);
    // The person it is given to is told, in the insert's transaction, as POST /v1/actions/{id}/assign
    // tells them (not who gives it to themselves). A repeat of the request inserts nothing: no second notice.
    const notices =
      assignee !== undefined && assignee !== user
        ? [{ user: assignee, kind: TASK_NOTIFICATION_KINDS.task_assigned, message: assignedToYou(user, built.action, now) }]
        : undefined;
    try {
      await this.d.store.insertActions([
        {
          action: built.action,
          timeline,
          ...(events ? { events } : {}),
          ...(notices ? { notices } : {}),
          ...(opts.idempotencyKey !== undefined ? { launchKey: opts.idempotencyKey, launchHash: request!.hash } : {}),
        },
      ]);
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's task.
      const prior =
        opts.idempotencyKey !== undefined && err instanceof ConflictError
          ? await this.findLaunch(opts.idempotencyKey, request!)
          : undefined;
      if (prior) return { task: prior, created: false };
      throw err;
    }
    // A close that read the case's open work just before this insert did not see the task: closed
    // here as the close would have closed it, and the caller told the case is closed.
    if ((await this.d.store.getCase(caseId))?.status === 'closed') {
      await this.d.actions.complete(
        built.action.id,
        'system',
        { resolution: 'not_done_successfully', note: 'Closed with its case' },
        { override: true },
      );
      throw new InvalidStateError('The case was closed while the task was added; the task is closed with it');
    }
    // A task given to a person stays theirs, as POST /v1/actions/{id}/assign with a queue and a person
    // leaves it: submitting it would hand it to the provider and drop the person the request named.
    if (assignee === undefined) await this.submit(built.action.id);
    const stored = await this.d.store.getAction(built.action.id);
    return { task: await this.d.actions.view(stored ?? built.action), created: true };
  }

  /**
   * On a queue integrated with a provider a task given to no one goes to it as a step's task does
   * (its Submit Request, sent once however often this runs; with `pendingOnly`, only while its insert's
   * submission is still pending). A failure is logged, not answered: the task exists,
   * and its insert left it pending a submission, which an integration sweep sends (as after a node that stopped here).
   */
  private async submit(id: string, pendingOnly = false): Promise<void> {
    const integrations = this.d.engine.integrations;
    if (integrations === null) return;
    try {
      if (pendingOnly) return await integrations.submitPending(id);
      const task = await this.d.store.getAction(id);
      if (task) await integrations.taskCreated(task);
    } catch (err) {
      this.d.logger?.warn(
        { err, actionId: id },
        'submitting a new task to its queue’s provider failed; assign it to the queue again to retry',
      );
    }
  }

  private async findLaunch(key: string, request: RequestHash): Promise<ActionView | undefined> {
    const prior = await this.d.store.getActionByLaunchKey(key);
    if (!prior) return undefined;
    if (!request.matches(prior.launchHash)) throw new ConflictError('This Idempotency-Key was used for a different request');
    return this.d.actions.view(prior.action as ActionRecord);
  }
}
