// Bulk replay: retry every action matching a filter ("all Closed / Not Done of a connector since
// 09:00"), or close every To Do one that matches. A dry run counts and samples; a run changes each action through the lifecycle as the
// operator (their name on every timeline) and reports, per action, done or skipped with the reason.
// A run repeated with its Idempotency-Key answers the first run's report and changes nothing again.
// The dry run also counts the matches per state and reason, and for a retry shows the requests the
// first few would send (rendered now, secrets masked, nothing sent). Each run is kept with its items
// as it goes: GET /v1/bulk-replays/{id} reads it again, a page of items at a time, for its owner or an admin.
// A dry run also freezes what it matched (a selection, for an hour): the run given it acts on those
// actions only, so one that started matching after the person looked is not touched.
// GET /v1/bulk-replays lists runs newest first (an operator's own; an admin's, anyone's). A live run
// moves its row each minute: one that has not moved for a lease is read as interrupted (its node
// stopped). Runs are kept 30 days after they last moved, then deleted a few at a time as new ones start.

import { queueFilterProblem } from '../queues/named.ts';
import { randomUUID } from 'node:crypto';
import { requestHash, uuidv7 } from '../ids.ts';
import { CalloutError, ConflictError, NotFoundError, Problems, ValidationError } from '../errors.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import type { Resolution } from '../lifecycle/states.ts';
import type { ReplayFilter, ReplayRunItem, ReplayRunRow } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import type { ActionChanger } from '../bulk-launches/ports.ts';
import type { RequestPreview } from '../engine/request-preview.ts';
import {
  MAX_REPLAY,
  type BulkReplayBody,
  type BulkReplayReport,
  type BulkReplayRun,
  type BulkReplayRunSummary,
  type RunListQuery,
} from './schemas.ts';
import { isoTime as iso, parseDateTime } from '../clock.ts';
import { checkCursor } from '../pages.ts';

export type ReplayStore = Pick<
  Store,
  | 'countReplayActions'
  | 'listReplayActions'
  | 'listReplayActionIds'
  | 'getConfig'
  | 'listConfig'
  | 'getQueue'
  | 'findQueue'
  | 'countActionsUpTo'
  | 'takeReplayKey'
  | 'renewReplayKey'
  | 'finishReplayKey'
  | 'countReplayByState'
  | 'insertReplayRun'
  | 'recordReplayItems'
  | 'finishReplayRun'
  | 'getReplayRun'
  | 'listReplayRunItems'
  | 'touchReplayRun'
  | 'listReplayRuns'
  | 'pruneReplayRuns'
  | 'insertReplaySelection'
  | 'getReplaySelection'
  | 'useReplaySelection'
  | 'pruneReplaySelections'
>;

/** The request an action's retry would send now, rendered and not sent (engine/request-preview.ts). */
export type RequestPreviewer = (a: ActionRecord) => Promise<RequestPreview>;

/** How long a run holds its key before a repeat may run it again (its node stopped mid-run); renewed each minute. */
const KEY_LEASE_MS = 10 * 60_000;
const KEY_RENEW_MS = 60_000;
/** How long a key answers repeats. */
const KEY_KEPT_MS = 24 * 60 * 60_000;

const SAMPLE = 10;
/** Requests rendered for a retry's preview: enough to see what goes out, few enough to render on every preview. */
const REQUEST_SAMPLE = 3;
/** A run's items are written this many at a time: a long run shows its progress, a short one costs one write. */
const ITEM_BATCH = 100;
/** A page of a run's items. */
export const ITEM_PAGE = 1000;
/** A live run moves its row this often, however slow its actions are. */
const RUN_TOUCH_MS = 60_000;
/** A `running` run that has not moved for this long is read as interrupted: its node stopped (as a key's lease). */
export const RUN_LEASE_MS = KEY_LEASE_MS;
/** How long a run is kept after it last moved (its end, or when its node stopped). */
export const RUN_KEPT_MS = 30 * 24 * 60 * 60_000;
/**
 * Old runs deleted as each run starts: a few runs, and at most one largest run's items (in statements
 * of 1,000), so the cleanup stays short; as many runs start as grow old, so it keeps up.
 */
const RUN_PRUNE = { runs: 20, items: MAX_REPLAY };
/** Runs in a page of the list. */
export const RUN_LIST_PAGE = 50;
/** How long a preview's selection may be run. */
export const SELECTION_TTL_MS = 60 * 60_000;
/** Selections kept per operator: their newest; a preview on every keystroke cannot fill the disk. */
const SELECTIONS_KEPT = 20;
/** Expired selections deleted per preview or selection run: the cleanup stays small. */
const SELECTION_PRUNE = 100;
/** A selection's ids are checked against the filter this many at a time. */
const SELECTION_CHECK = 500;

/** The frozen selection a run acts on. */
interface Selected {
  ids: string[];
  matched: number;
}

/** What a selection was previewed for: the operation and filter, keys sorted so their order does not matter. */
const previewed = (body: BulkReplayBody): string =>
  JSON.stringify({
    operation: body.operation,
    filter: JSON.parse(JSON.stringify(body.filter, Object.keys(body.filter).sort())) as unknown,
  });

export interface ReplayItem {
  id: string;
  status: 'done' | 'skipped';
  reason?: string;
}

const brief = (a: ActionRecord) => ({
  id: a.id,
  actionType: a.actionTypeId,
  state: a.state,
  reason: a.reason,
  resolution: a.resolution,
  updatedAt: iso(a.updatedAt),
  closedAt: iso(a.closedAt),
});

export class BulkReplayService {
  constructor(
    private readonly store: ReplayStore,
    private readonly actions: ActionChanger,
    private readonly clock: Clock,
    private readonly preview: RequestPreviewer,
  ) {}

  async replay(body: BulkReplayBody, user: string, idempotencyKey?: string): Promise<BulkReplayReport> {
    const filter = await this.filterOf(body);
    if (body.dryRun === true) {
      if (body.selection !== undefined) throw new ValidationError([{ field: 'selection', message: 'belongs to a run, not a dry run' }]);
      // Changes nothing: a repeat simply counts again. One row per state and reason present (a few
      // dozen at most), however many actions match; their sum is the count.
      let count = 0;
      const byState: Record<string, number> = {};
      for (const g of await this.store.countReplayByState(filter)) {
        const key = [g.state, g.reason ?? g.resolution].filter((x) => x !== null).join('/');
        byState[key] = (byState[key] ?? 0) + g.n;
        count += g.n;
      }
      const actions = await this.store.listReplayActions(filter, SAMPLE);
      const requests =
        body.operation === 'retry'
          ? await Promise.all(actions.slice(0, REQUEST_SAMPLE).map(async (a) => ({ id: a.id, ...(await this.preview(a)) })))
          : undefined;
      const selection = await this.freeze(body, filter, user, count);
      return {
        dryRun: true,
        operation: body.operation,
        count,
        byState,
        ...(requests ? { requests } : {}),
        sample: actions.map(brief),
        selection,
      };
    }
    if (idempotencyKey === undefined) return this.run(body, filter, user, undefined, await this.claim(body, user));
    const request = requestHash(body);
    const now = this.clock.now();
    const owner = randomUUID();
    const held = await this.store.takeReplayKey({
      key: idempotencyKey,
      requestHash: request.hash,
      owner,
      now,
      leaseUntil: now + KEY_LEASE_MS,
      keepSince: now - KEY_KEPT_MS,
    });
    if (!held.taken) {
      if (!request.matches(held.requestHash)) throw new ConflictError('This Idempotency-Key was used for a different bulk replay');
      if (held.report === null)
        throw new ConflictError('A bulk replay with this Idempotency-Key is still running; ask again once it has ended');
      return JSON.parse(held.report) as BulkReplayReport;
    }
    // The run keeps its hold on the key while it goes (a long run outlasts one lease); lost, it stops.
    let renewedAt = now;
    const keepHold = async (): Promise<void> => {
      const t = this.clock.now();
      if (t - renewedAt < KEY_RENEW_MS) return;
      renewedAt = t;
      if (!(await this.store.renewReplayKey(idempotencyKey, owner, t + KEY_LEASE_MS)))
        throw new ConflictError('This bulk replay lost its Idempotency-Key to a repeat of the request and stopped; the repeat goes on');
    };
    let report: BulkReplayReport;
    try {
      // A repeat with the key answered above; a new run claims its selection (once) only now.
      report = await this.run(body, filter, user, keepHold, await this.claim(body, user));
    } catch (err) {
      // Failed part way: the key is freed, and the same request may run again (its filter finds what is left).
      await this.store.finishReplayKey(idempotencyKey, owner, null).catch(() => undefined);
      throw err;
    }
    await this.store.finishReplayKey(idempotencyKey, owner, JSON.stringify(report));
    return report;
  }

  private async run(
    body: BulkReplayBody,
    filter: ReplayFilter,
    user: string,
    beforeEach: () => Promise<void> = async () => undefined,
    selected?: Selected,
  ): Promise<BulkReplayReport> {
    const count = selected ? selected.matched : await this.store.countReplayActions(filter);
    const max = body.max ?? MAX_REPLAY;
    const now = this.clock.now();
    await this.store.pruneReplayRuns(now - RUN_KEPT_MS, RUN_PRUNE);
    const id = uuidv7(now);
    const { dryRun: _, ...asked } = body;
    await this.store.insertReplayRun({
      id,
      createdBy: user,
      operation: body.operation,
      request: JSON.stringify(asked),
      status: 'running',
      count,
      done: 0,
      skipped: 0,
      remaining: 0,
      error: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    });
    const items: ReplayItem[] = [];
    let done = 0;
    let batch: ReplayRunItem[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await this.store.recordReplayItems(id, batch, { done, skipped: items.length - done, updatedAt: this.clock.now() });
      batch = [];
    };
    const add = async (item: ReplayItem): Promise<void> => {
      items.push(item);
      if (item.status === 'done') done++;
      batch.push({ seq: items.length, actionId: item.id, status: item.status, reason: item.reason ?? null });
      if (batch.length >= ITEM_BATCH) await flush();
    };
    // Its row moves each minute while it runs, even while one action takes long: a read tells a slow
    // run from one whose node stopped. A timer, not a check per action; each touch only moves it on.
    let beat: TimerHandle | undefined;
    const touchEachMinute = (): void => {
      beat = this.clock.setTimer(RUN_TOUCH_MS, () => {
        touchEachMinute();
        void this.store.touchReplayRun(id, this.clock.now()).catch(() => undefined);
      });
    };
    touchEachMinute();
    try {
      // Ids only: each action is read as it is changed, so a run holds one action at a time, not 10,000.
      const ids = selected ? selected.ids.slice(0, max) : await this.store.listReplayActionIds(filter, max);
      // A selection's actions are checked against the filter again, a batch at a time: one that
      // changed since the preview (retried, closed by someone) is skipped and says why.
      let stillMatching = new Set<string>();
      for (const [i, actionId] of ids.entries()) {
        if (selected && i % SELECTION_CHECK === 0) {
          const batch = ids.slice(i, i + SELECTION_CHECK);
          stillMatching = new Set(await this.store.listReplayActionIds({ ...filter, ids: batch }, batch.length));
        }
        await beforeEach();
        if (selected && !stillMatching.has(actionId)) {
          await add({ id: actionId, status: 'skipped', reason: 'no longer matches the filter: it changed after the preview' });
          continue;
        }
        try {
          if (body.operation === 'retry') await this.actions.retry(actionId, user);
          else await this.actions.close(actionId, user, body.resolution as Resolution, body.note);
          await add({ id: actionId, status: 'done' });
        } catch (err) {
          // One action that cannot take the change (closed meanwhile, not in To Do) must not stop the rest.
          if (!(err instanceof CalloutError) || err.status >= 500) throw err;
          await add({ id: actionId, status: 'skipped', reason: err.message });
        }
      }
      await flush();
    } catch (err) {
      // Kept as failed with the items done before it stopped: what it changed stays readable.
      await flush().catch(() => undefined);
      const error = err instanceof Error ? err.message : String(err);
      await this.store.finishReplayRun(id, { status: 'failed', remaining: 0, error, finishedAt: this.clock.now() }).catch(() => undefined);
      throw err;
    } finally {
      beat?.cancel();
    }
    // Matching actions beyond `max`: run again for the next ones.
    const remaining = Math.max(0, count - items.length);
    await this.store.finishReplayRun(id, { status: 'done', remaining, error: null, finishedAt: this.clock.now() });
    return { dryRun: false, id, operation: body.operation, count, done, skipped: items.length - done, remaining, items };
  }

  /** Keeps the ids a dry run matched (up to its max) for one run by this operator. */
  private async freeze(body: BulkReplayBody, filter: ReplayFilter, user: string, matched: number) {
    const now = this.clock.now();
    await this.store.pruneReplaySelections(now, SELECTION_PRUNE);
    const actionIds = await this.store.listReplayActionIds(filter, body.max ?? MAX_REPLAY);
    const id = uuidv7(now);
    const expiresAt = now + SELECTION_TTL_MS;
    await this.store.insertReplaySelection(
      { id, createdBy: user, request: previewed(body), actionIds, matched, createdAt: now, expiresAt, usedAt: null },
      SELECTIONS_KEPT,
    );
    return { id, count: actionIds.length, previewedAt: iso(now) as string, expiresAt: iso(expiresAt) as string };
  }

  /**
   * Takes a run's selection, once: another operator's is not found (404, as one that never was), an
   * expired or used one is refused (409), and one previewed for another filter or operation is bad input.
   */
  private async claim(body: BulkReplayBody, user: string): Promise<Selected | undefined> {
    if (body.selection === undefined) return undefined;
    const now = this.clock.now();
    const sel = await this.store.getReplaySelection(body.selection);
    // Read first: an expired one is told it expired, then goes with the others.
    await this.store.pruneReplaySelections(now, SELECTION_PRUNE);
    if (!sel || sel.createdBy !== user) throw new NotFoundError('Bulk replay selection', body.selection);
    if (sel.expiresAt <= now)
      throw new ConflictError(`This preview expired at ${iso(sel.expiresAt)}; preview again to see what matches now and run that`);
    if (sel.request !== previewed(body))
      throw new ValidationError([{ field: 'selection', message: 'was previewed for another filter or operation; preview this one again' }]);
    if (sel.usedAt !== null || !(await this.store.useReplaySelection(sel.id, now)))
      throw new ConflictError(
        `This preview was already run at ${iso(sel.usedAt ?? now)}; preview again to act on what matches now (or repeat the run with its Idempotency-Key for its report)`,
      );
    return { ids: sel.actionIds, matched: sel.matched };
  }

  /**
   * A run as kept, with a page of its items. Its owner and admins read it; to anyone else it does not
   * exist (404, as for an id that was never a run), so run ids cannot be probed for.
   */
  async getRun(
    id: string,
    reader: { user: string; admin: boolean },
    page: { afterItem?: number; limit?: number } = {},
  ): Promise<BulkReplayRun> {
    const run = await this.store.getReplayRun(id);
    if (!run || (run.createdBy !== reader.user && !reader.admin)) throw new NotFoundError('Bulk replay', id);
    const limit = page.limit ?? ITEM_PAGE;
    // One more than the page says whether another follows.
    const rows = await this.store.listReplayRunItems(id, page.afterItem ?? 0, limit + 1);
    const items = rows.slice(0, limit);
    return {
      ...this.summary(run),
      items: items.map((i) => ({ n: i.seq, id: i.actionId, status: i.status, ...(i.reason !== null ? { reason: i.reason } : {}) })),
      nextItem: rows.length > limit ? items[items.length - 1]!.seq : null,
    };
  }

  /**
   * Runs newest first, without their items: the reader's own, or for an admin everyone's (or
   * `createdBy`'s). An operator naming someone else gets none of theirs: their own list, so filtered, is empty.
   */
  async listRuns(
    reader: { user: string; admin: boolean },
    q: RunListQuery = {},
  ): Promise<{ items: BulkReplayRunSummary[]; next: string | null }> {
    checkCursor(q.before);
    const limit = q.limit ?? RUN_LIST_PAGE;
    if (!reader.admin && q.createdBy !== undefined && q.createdBy !== reader.user) return { items: [], next: null };
    const createdBy = reader.admin ? q.createdBy : reader.user;
    const rows = await this.store.listReplayRuns({
      ...(createdBy !== undefined ? { createdBy } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map((r) => this.summary(r));
    return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /**
   * A run as read, the same in the list and on its own: one still `running` that has not moved for a
   * lease is interrupted (its node stopped mid-run). Worked out on read, not written: a read changes
   * nothing, and a run that was only held up (its store slow for a while) reads as running again once it moves.
   */
  private summary(run: ReplayRunRow): BulkReplayRunSummary {
    const interrupted = run.status === 'running' && this.clock.now() - run.updatedAt > RUN_LEASE_MS;
    return {
      id: run.id,
      operation: run.operation,
      status: interrupted ? 'interrupted' : run.status,
      createdBy: run.createdBy,
      createdAt: iso(run.createdAt) as string,
      updatedAt: iso(run.updatedAt) as string,
      finishedAt: iso(run.finishedAt),
      request: JSON.parse(run.request) as BulkReplayRun['request'],
      count: run.count,
      done: run.done,
      skipped: run.skipped,
      remaining: run.remaining,
      error: interrupted
        ? `Its node stopped during the run, about ${iso(run.updatedAt)}: the actions listed are what it did; preview again for what is left`
        : run.error,
    };
  }

  private async filterOf(body: BulkReplayBody): Promise<ReplayFilter> {
    const p = new Problems();
    const f = body.filter;
    if (body.operation === 'close' && body.resolution === undefined)
      p.add('resolution', 'is required to close: done_successfully or not_done_successfully');
    if (body.operation === 'retry' && (body.resolution !== undefined || body.note !== undefined))
      p.add(body.resolution !== undefined ? 'resolution' : 'note', 'belongs to close, not retry');
    // Bulk close resolves failed actions (SPEC: "retry or resolve many failed actions"): To Do only, so
    // a wide filter cannot close actions still waiting for their system or a task someone is working on.
    if (body.operation === 'close' && f.state !== undefined && f.state !== 'todo')
      p.add('filter.state', 'a bulk close resolves failed actions: only todo (close any other action on its own)');
    const narrowing = ['state', 'reason', 'resolution', 'actionType', 'connector', 'caseId', 'queue', 'since', 'until'] as const;
    if (!narrowing.some((k) => f[k] !== undefined)) p.add('filter', `must narrow the actions with at least one of ${narrowing.join(', ')}`);
    const instant = (v: string | undefined, field: string): number | undefined => {
      if (v === undefined) return undefined;
      const t = parseDateTime(v);
      if (Number.isNaN(t)) p.add(field, 'must be a date-time with a time zone, e.g. 2026-12-01T09:00:00Z or 2026-12-01T09:00:00+01:00');
      return t;
    };
    const since = instant(f.since, 'filter.since');
    const until = instant(f.until, 'filter.until');
    if (f.queue !== undefined) {
      const wrong = await queueFilterProblem(this.store, f.queue);
      if (wrong) p.add('filter.queue', wrong);
    }
    let actionTypeIds: string[] | undefined;
    if (f.actionType !== undefined) {
      const t = await this.store.getConfig('action_type', f.actionType);
      if (!t) p.add('filter.actionType', `no action type ${JSON.stringify(f.actionType)} exists`);
      else actionTypeIds = [t.id];
    }
    if (f.connector !== undefined) {
      const c = await this.store.getConfig('connector', f.connector);
      if (!c) p.add('filter.connector', `no connector ${JSON.stringify(f.connector)} exists`);
      else {
        const ofConnector = (await this.store.listConfig('action_type')).filter((t) => t.doc.connectorId === c.id).map((t) => t.id);
        actionTypeIds = actionTypeIds === undefined ? ofConnector : actionTypeIds.filter((id) => ofConnector.includes(id));
      }
    }
    p.throwIfAny();
    const state = body.operation === 'close' ? 'todo' : f.state;
    const out: ReplayFilter = {
      ...(state !== undefined ? { state: state as ReplayFilter['state'] } : {}),
      ...(f.reason !== undefined ? { reason: f.reason } : {}),
      ...(f.resolution !== undefined ? { resolution: f.resolution } : {}),
      ...(f.caseId !== undefined ? { caseId: f.caseId } : {}),
      ...(f.queue !== undefined ? { queue: f.queue } : {}),
      ...(actionTypeIds !== undefined ? { actionTypeIds } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      timeField: f.timeField ?? 'updatedAt',
    };
    return out;
  }
}
