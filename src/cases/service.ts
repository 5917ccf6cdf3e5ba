// Cases: plain ones (data that outcomes merge into, an owner for escalations) and cases that run a
// process. Creating a case with a process stores it with its first event in one transaction and
// moves it on at once; the case worker (processes/case-worker.ts) does the rest as its actions change.

import { ConflictError, InvalidStateError, NotFoundError, Problems, ValidationError, raceApart, STORED_ATTEMPTS } from '../errors.ts';
import type { CaseFilter, CaseRow, Store } from '../store/types.ts';
import { isoTime as iso, type Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { requestHash, sha256, uuidv7, type RequestHash } from '../ids.ts';
import { MAX_PAGE_BYTES, checkCursor, pageLimit } from '../pages.ts';
import { INPUT_LIMITS, checkLaunchLimits } from '../actions/launch-limits.ts';
import { jsonProblem } from '../json-limits.ts';
import type { ActionService } from '../actions/service.ts';
import type { ActionView } from '../actions/views.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import type { ProcessService } from '../processes/service.ts';
import type { ProcessDefinition } from '../processes/definition.ts';
import type { CaseWorker } from '../processes/case-worker.ts';
import { newCaseRun } from '../processes/runner.ts';
import { caseStop } from '../processes/case-stop.ts';
import { MAX_STEP_SKIP_NOTE } from '../processes/step-skip.ts';
import { processNameOf, processNames } from '../processes/names.ts';
import { ownerProblem, storedOwners } from './owner.ts';
import type { CaseBody, CaseHistoryEntry, CaseHistoryQuery, CaseListQuery, CasePatchBody, CaseView } from './schemas.ts';
import type { WebhookOutbox } from '../webhooks/outbox.ts';
import { BLANK_MESSAGE, isBlank } from '../validation/blank.ts';
import { queueNamed } from '../queues/named.ts';
import { historyOfPatch } from '../processes/case-history.ts';
import type { Actor } from '../lifecycle/states.ts';

export interface CaseServiceDeps {
  store: Store;
  clock: Clock;
  actions: ActionService;
  /** Absent: only plain cases (a program embedding Callout without processes). */
  processes?: ProcessService;
  worker?: CaseWorker;
  logger?: Logger;
  /** The engine's writes, to close a closed case's action the moment its attempt in flight ends. */
  engine?: { on(event: 'action', f: (a: ActionRecord) => void): unknown; off(event: 'action', f: (a: ActionRecord) => void): unknown };
}

export type { CaseView } from './schemas.ts';

/** A case as GET, POST and PATCH answer it: with its newest actions (see getCase). */
export type CaseWithActions = CaseView & { actions: ActionView[]; actionsNext: string | null };
/** The most actions a case's answer holds; the action list (by caseId) pages through the rest. */
const MAX_CASE_ACTIONS = 500;

/** `process`: the name of the case's process now (processes/names.ts). */
export function caseView(c: CaseRow, process: string | null): CaseView {
  return {
    id: c.id,
    process,
    title: c.title ?? null,
    status: c.status ?? 'open',
    data: c.data,
    owner: c.owner,
    queue: c.queue ?? null,
    escalated: c.escalated ?? false,
    steps: (c.steps ?? []).map((s) => ({
      name: s.name,
      kind: s.kind,
      status: s.status,
      actionId: s.actionId,
      outcome: s.outcome,
      // Kept by the runner and never shown: a case stopped with "Failed" and no word why (an outside review).
      // A step an operator skipped keeps showing what it failed with, beside their note.
      error: s.status === 'failed' || s.skipped !== undefined ? (s.error ?? null) : null,
      // Only on a step an operator retried: a step's shape stays as it was for every other.
      ...(s.retried ? { retried: { count: s.retried.count, at: iso(s.retried.at)!, by: s.retried.by } } : {}),
      // Only on a step an operator skipped (a false `when` skips with no one's name).
      ...(s.skipped ? { skipped: { at: iso(s.skipped.at)!, by: s.skipped.by, note: s.skipped.note } } : {}),
    })),
    stoppedAt: stoppedAtView(c),
    createdAt: iso(c.createdAt)!,
    updatedAt: iso(c.updatedAt)!,
    closedAt: iso(c.closedAt),
  };
}

/** Where the case stopped, from its steps; when, from its `stopped_at` (its last change for a case not written since). */
function stoppedAtView(c: CaseRow): CaseView['stoppedAt'] {
  const stop = caseStop(c.status, c.steps, c.definition?.steps);
  return stop ? { step: stop.step, error: stop.error, at: iso(c.stoppedAt ?? c.updatedAt)! } : null;
}

/** A title that shows nothing would list the case as an empty row (the schema only knows "not empty"). */
function checkTitle(title: string | undefined): void {
  if (title !== undefined && isBlank(title)) throw new ValidationError([{ field: 'title', message: BLANK_MESSAGE }]);
}

export class CaseService {
  /** case.created / case.closed to webhook subscribers; set by the composition root. */
  webhookEvents: Pick<WebhookOutbox, 'forCase'> | null = null;

  constructor(private readonly d: CaseServiceDeps) {}

  /**
   * Creates a case; with an idempotency key a repeat of the same body returns the first case (created:
   * false). `user`: who creates it, named in its history (absent: Callout itself, a schedule's or a bulk launch's).
   */
  async createCase(
    body: CaseBody = {},
    opts: { idempotencyKey?: string; user?: string } = {},
  ): Promise<{ case: CaseWithActions; created: boolean }> {
    // `data` is bounded like a launch's input, the other fields like any other launch field.
    checkLaunchLimits(body, ['data']);
    checkTitle(body.title);
    const request = opts.idempotencyKey !== undefined ? requestHash(body) : undefined;
    const hash = request?.hash;
    if (opts.idempotencyKey !== undefined) {
      const prior = await this.findLaunch(opts.idempotencyKey, request!);
      if (prior) return { case: prior, created: false };
    }
    if (body.owner !== undefined) await this.checkOwner(body.owner);
    const queue = body.queue == null ? null : await this.queueNamed(body.queue);
    let definition: ProcessDefinition | null = null;
    let processId: string | null = null;
    let processName: string | null = null;
    if (body.process !== undefined) {
      if (!this.d.processes) throw new ValidationError([{ field: 'process', message: 'processes are not available here' }]);
      const row = await this.d.processes.row(body.process).catch((e: unknown) => {
        if (e instanceof NotFoundError)
          throw new ValidationError([{ field: 'process', message: `no process ${JSON.stringify(body.process)} exists` }]);
        throw e;
      });
      definition = row.doc as unknown as ProcessDefinition;
      processId = row.id;
      processName = row.name;
    }
    const now = this.d.clock.now();
    const data = body.data ?? {};
    const row: CaseRow = { id: uuidv7(now), data, owner: body.owner ?? null, createdAt: now, updatedAt: now };
    if (body.title !== undefined) row.title = body.title;
    if (queue !== null) row.queue = queue;
    if (definition) Object.assign(row, { process: processId, definition, status: 'open', steps: newCaseRun(definition, data).steps });
    // case.created in the case's own insert: a failure or a crash just after it loses nothing.
    const events = this.webhookEvents?.forCase('created', { id: row.id, process: processName, status: 'open', owner: row.owner });
    try {
      await this.d.store.createCase(row, {
        ...(opts.idempotencyKey !== undefined ? { launchKey: opts.idempotencyKey, launchHash: hash } : {}),
        ...(definition ? { startEvent: { type: 'case_started' } } : {}),
        ...(events ? { events } : {}),
        history: [{ at: now, kind: 'case_created', step: null, actor: actorOf(opts.user), detail: { process: processName } }],
      });
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's case.
      const prior =
        opts.idempotencyKey !== undefined && err instanceof ConflictError
          ? await this.findLaunch(opts.idempotencyKey, request!)
          : undefined;
      if (prior) return { case: prior, created: false };
      throw err;
    }
    if (definition) await this.moveOn(row.id);
    return { case: await this.getCase(row.id), created: true };
  }

  /** An owner must see the case's escalations (owner.ts); anyone else is refused rather than stored. */
  private async checkOwner(owner: string | null): Promise<void> {
    const problem = owner === null ? undefined : await ownerProblem(owner, storedOwners(this.d.store));
    if (problem) throw new ValidationError([{ field: 'owner', message: problem }]);
  }

  /** The queue a request names, as it is stored (its name); a 422 naming `queue` when there is none. */
  private async queueNamed(ref: string): Promise<string> {
    const p = new Problems();
    const q = await queueNamed(this.d.store, p, ref);
    p.throwIfAny();
    return q!.name;
  }

  private async findLaunch(key: string, request: RequestHash): Promise<CaseWithActions | undefined> {
    const prior = await this.d.store.getCaseByLaunchKey(key);
    if (!prior) return undefined;
    if (!request.matches(prior.launchHash)) throw new ConflictError('This Idempotency-Key was used for a different case');
    return this.getCase(prior.row.id);
  }

  /** Runs the case's waiting events now; a failure is left to the case worker's next poll. */
  private async moveOn(id: string): Promise<void> {
    try {
      await this.d.worker?.drain(id);
    } catch (err) {
      this.d.logger?.warn({ err, caseId: id }, 'moving the case on failed; the case worker tries again');
    }
  }

  /**
   * The case with its steps and its newest actions: at most 500, and cut at about 4 MB (MAX_PAGE_BYTES)
   * as the action list is, so a case of many large actions is not one huge answer. `actionsNext` says
   * that actions were left out: it is the `before` of GET /v1/actions?caseId= for the rest.
   */
  async getCase(id: string): Promise<CaseWithActions> {
    const c = await this.d.store.getCase(id);
    if (!c) throw new NotFoundError('Case', id);
    const {
      actions: rows,
      more,
      resumeBefore,
    } = await this.d.store.listActionsPage({ caseId: id, limit: MAX_CASE_ACTIONS }, MAX_PAGE_BYTES);
    const actions = await Promise.all(rows.map((a) => this.d.actions.view(a)));
    const actionsNext = resumeBefore ?? (more && rows.length > 0 ? rows[rows.length - 1]!.id : null);
    return { ...caseView(c, await processNameOf(this.d.store, c)), actions, actionsNext };
  }

  /**
   * A page of the case's history, newest first; `next` is the `before` of the following page (null at
   * the end). Checked here too, for the library's callers: `limit` 1–500, `before` a seq.
   */
  async history(id: string, q: CaseHistoryQuery = {}): Promise<{ items: CaseHistoryEntry[]; next: string | null }> {
    const limit = pageLimit(q.limit);
    if (q.before !== undefined && (!Number.isSafeInteger(q.before) || q.before < 0))
      throw new ValidationError([{ field: 'before', message: 'is not a `seq` of the history: pass the `next` of the previous page' }]);
    if (!(await this.d.store.getCase(id))) throw new NotFoundError('Case', id);
    const rows = await this.d.store.listCaseHistory(id, { ...(q.before !== undefined ? { before: q.before } : {}), limit: limit + 1 });
    const items = rows
      .slice(0, limit)
      .map((r) => ({ seq: r.seq, at: iso(r.at)!, kind: r.kind, step: r.step, actor: r.actor, detail: r.detail }));
    return { items, next: rows.length > limit ? String(items.at(-1)!.seq) : null };
  }

  /** A page of cases, newest first; `next` is the `before` of the following page. A page ends early at about 4 MB of data (MAX_PAGE_BYTES). */
  async listCases(query: CaseListQuery = {}): Promise<{ items: CaseView[]; next: string | null }> {
    const { process, limit, ...rest } = query;
    checkCursor(query.before);
    const f: CaseFilter = { limit: pageLimit(limit) };
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) Object.assign(f, { [k]: v });
    if (process !== undefined) {
      const p = await this.d.store.getConfig('process', process);
      // No such process: no case runs it.
      if (!p) return { items: [], next: null };
      f.process = p.id;
    }
    const { cases: rows, more, resumeBefore } = await this.d.store.listCases({ ...f, maxBytes: MAX_PAGE_BYTES });
    const nameOf = await processNames(this.d.store, rows);
    return {
      items: rows.map((c) => caseView(c, nameOf(c))),
      next: resumeBefore ?? (more && rows.length > 0 ? rows[rows.length - 1]!.id : null),
    };
  }

  /** Changes the title, the owner, the queue or (merged shallowly) the data of an open case; `user` is named in its history. */
  async updateCase(id: string, patch: CasePatchBody, user?: string): Promise<CaseWithActions> {
    checkLaunchLimits(patch, ['data']);
    checkTitle(patch.title);
    if (patch.owner !== undefined) await this.checkOwner(patch.owner);
    // Only where the case's work goes from now on: tasks already on a queue stay there.
    const queue = patch.queue == null ? patch.queue : await this.queueNamed(patch.queue);
    for (let i = 0; i < STORED_ATTEMPTS * 2; i++) {
      const c = await this.d.store.getCase(id);
      if (!c) throw new NotFoundError('Case', id);
      if (c.status === 'closed') throw new InvalidStateError('The case is closed');
      if (patch.data !== undefined) {
        const problem = jsonProblem({ ...c.data, ...patch.data }, INPUT_LIMITS);
        if (problem) throw new ValidationError([{ field: 'data', message: `merged into the case data, the result ${problem}` }]);
      }
      const at = this.d.clock.now();
      // Data by field names only: case data may be sensitive and large.
      const history = historyOfPatch(
        { data: c.data, owner: c.owner, queue: c.queue ?? null, title: c.title ?? null },
        { ...patch, ...(queue !== undefined ? { queue } : {}) },
        actorOf(user),
        at,
      );
      const ok = await this.d.store.updateCase({
        id,
        expectedVersion: c.version ?? 1,
        at,
        ...(history.length > 0 ? { history } : {}),
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.owner !== undefined ? { owner: patch.owner } : {}),
        ...(queue !== undefined ? { queue } : {}),
        ...(patch.data !== undefined ? { dataPatch: patch.data } : {}),
      });
      if (ok) return this.getCase(id);
      // Spread so racers do not meet again at once (30 PATCHes at once on PostgreSQL: 5 gave up).
      await raceApart(i);
    }
    throw new ConflictError('The case kept changing while this request was applied; try again');
  }

  /**
   * Runs a failed step of the case again, as the first time, over the case's data as it now is (after a
   * PATCH fixed it): a step the case stopped at with no action to retry, whose expression or `when`
   * failed, or a manual step whose task was closed Not Done (it gets a new task). The process is the one the case started with, as for every step of it. The answer is the
   * case after the step ran (and any steps after it that run at once). With an Idempotency-Key, a repeat
   * by the same user answers the case as it is and runs nothing again.
   */
  async retryStep(id: string, step: string, user: string, opts: { idempotencyKey?: string } = {}): Promise<CaseWithActions> {
    if (!this.d.worker) throw new InvalidStateError('Processes are not available here: no step runs');
    const key = opts.idempotencyKey === undefined ? undefined : sha256(`${user}\n${opts.idempotencyKey}`);
    await this.d.worker.command(id, {
      type: 'step_retried',
      step,
      user,
      at: this.d.clock.now(),
      ...(key !== undefined ? { key } : {}),
    });
    return this.getCase(id);
  }

  /**
   * Skips a failed step the case stopped at (onFailure stop), for good: it becomes `skipped` and the
   * case goes on to its next steps as after a `when` that was false, closing if it was the last. The
   * answer is the case after it moved on. With an Idempotency-Key, a repeat by the same user answers the
   * case as it is; without one, a repeat is refused (already skipped). Also refused when the step's
   * action was retried since it failed and the case has not heard of it yet (the store checks it in the
   * skip's write); once skipped, that action is not retried (engine/apply.ts).
   */
  async skipStep(id: string, step: string, user: string, opts: { note?: string; idempotencyKey?: string } = {}): Promise<CaseWithActions> {
    if (!this.d.worker) throw new InvalidStateError('Processes are not available here: no step runs');
    if (opts.note !== undefined && opts.note.length > MAX_STEP_SKIP_NOTE)
      throw new ValidationError([{ field: 'note', message: `must be at most ${MAX_STEP_SKIP_NOTE} characters` }]);
    const key = opts.idempotencyKey === undefined ? undefined : sha256(`${user}\n${opts.idempotencyKey}`);
    await this.d.worker.command(id, {
      type: 'step_skipped',
      step,
      user,
      at: this.d.clock.now(),
      note: opts.note === undefined || isBlank(opts.note) ? null : opts.note,
      ...(key !== undefined ? { key } : {}),
    });
    return this.getCase(id);
  }

  /**
   * Closes the case, and its work with it: its open actions are closed Not Done Successfully in the
   * closer's name (retries, waits and tasks on queues stop; an attempt in flight ends first and is
   * noted on its own timeline). A second close changes nothing but closes what the first left open.
   */
  async closeCase(id: string, user = 'system'): Promise<CaseWithActions> {
    for (let i = 0; i < 10; i++) {
      const c = await this.d.store.getCase(id);
      if (!c) throw new NotFoundError('Case', id);
      if (c.status === 'closed') {
        await this.closeOpenActions(id, user);
        return this.getCase(id);
      }
      const now = this.d.clock.now();
      // case.closed in the write that closes the case: a failure or a crash just after it loses nothing.
      const events = this.webhookEvents
        ? this.webhookEvents.forCase('closed', { id, process: await processNameOf(this.d.store, c), status: 'closed', owner: c.owner })
        : undefined;
      if (
        await this.d.store.updateCase({
          id,
          expectedVersion: c.version ?? 1,
          at: now,
          status: 'closed',
          closedAt: now,
          // A closed case is stopped no more: it leaves the stopped list.
          stoppedAt: null,
          ...(events ? { events } : {}),
          history: [{ at: now, kind: 'case_closed', step: null, actor: actorOf(user), detail: { by: 'request' } }],
        })
      ) {
        await this.closeOpenActions(id, user);
        return this.getCase(id);
      }
    }
    throw new ConflictError('The case kept changing while this request was applied; try again');
  }

  /**
   * The newest CLOSE_PAGE actions are closed before the close is answered; the rest after it (a case
   * with thousands of actions must not hold the request for minutes).
   */
  private async closeOpenActions(caseId: string, user: string, before?: string): Promise<void> {
    const page = await this.d.store.listActions({ caseId, limit: CLOSE_PAGE, ...(before !== undefined ? { before } : {}) });
    const left: string[] = [];
    for (const a of page) if (a.state !== 'closed' && !(await this.closeWithCase(a.id, user))) left.push(a.id);
    // An attempt in flight cannot be closed under it: tried again as it ends, without holding the request.
    if (left.length > 0) this.closeAfterAttempts(caseId, left, user, performance.now() + CLOSE_RETRY_FOR_MS);
    if (page.length === CLOSE_PAGE)
      setImmediate(
        () =>
          void this.closeOpenActions(caseId, user, page[page.length - 1]!.id).catch((err: unknown) =>
            this.d.logger?.warn({ err, caseId }, 'closing the open actions of a closed case stopped; closing the case again goes on'),
          ),
      );
  }

  private async closeWithCase(id: string, user: string): Promise<boolean> {
    try {
      await this.d.actions.complete(id, user, { resolution: 'not_done_successfully', note: 'Closed with its case' }, { override: true });
      return true;
    } catch {
      // Gone or closed meanwhile counts as closed; a store that does not answer, as not yet.
      const a = await this.d.store.getAction(id).catch(() => null);
      return a === undefined || a?.state === 'closed';
    }
  }

  /** Actions of closed cases whose attempt was in flight at the close, by id: closed as it ends. */
  private readonly closing = new Map<string, { caseId: string; user: string; until: number }>();
  private closingTimer: NodeJS.Timeout | null = null;

  /**
   * Closes each action as soon as its attempt's outcome is written on this node (a retry may be due a
   * few hundred milliseconds later), and looks again every CLOSE_RETRY_MS for one another node sends.
   * One listener and one timer for all of them, while any waits.
   */
  private closeAfterAttempts(caseId: string, ids: string[], user: string, until: number): void {
    for (const id of ids) this.closing.set(id, { caseId, user, until });
    if (this.closingTimer) return;
    this.d.engine?.on('action', this.onClosingAction);
    this.lookAtClosingLater();
  }

  private readonly onClosingAction = (a: ActionRecord): void => {
    const w = this.closing.get(a.id);
    if (!w) return;
    if (a.state === 'closed') this.closing.delete(a.id);
    else if (a.phase !== 'sending') void this.closeWaiting(a.id, w.user).catch(() => undefined);
  };

  private async closeWaiting(id: string, user: string): Promise<void> {
    if (this.closing.has(id) && (await this.closeWithCase(id, user))) this.closing.delete(id);
  }

  private lookAtClosingLater(): void {
    this.closingTimer = setTimeout(() => {
      void this.lookAtClosing()
        .catch(() => undefined)
        .finally(() => {
          if (this.closing.size > 0) return this.lookAtClosingLater();
          this.closingTimer = null;
          this.d.engine?.off('action', this.onClosingAction);
        });
    }, CLOSE_RETRY_MS).unref();
  }

  private async lookAtClosing(): Promise<void> {
    for (const [id, w] of [...this.closing]) {
      await this.closeWaiting(id, w.user);
      if (!this.closing.has(id) || performance.now() < w.until) continue;
      this.closing.delete(id);
      this.d.logger?.warn(
        { caseId: w.caseId, actionId: id },
        'an open action of a closed case could not be closed; closing the case again closes it',
      );
    }
  }
}

/** Who a change is by, as the history names them: a person or key (`user:<name>`), else Callout itself. */
const actorOf = (user: string | undefined): Actor => (user === undefined || user === 'system' ? 'system' : `user:${user}`);

/** Actions of a closing case read at a time. */
const CLOSE_PAGE = 200;
/** How often, and for how long, an action whose attempt was in flight at its case's close is tried again. */
const CLOSE_RETRY_MS = 250;
const CLOSE_RETRY_FOR_MS = 5 * 60_000;
