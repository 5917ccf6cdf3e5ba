// Bulk replay: retry every action matching a filter ("all Closed / Not Done of a connector since
// 09:00"), or close every To Do one that matches. A dry run counts and samples; a run changes each action through the lifecycle as the
// operator (their name on every timeline) and reports, per action, done or skipped with the reason.
// A run repeated with its Idempotency-Key answers the first run's report and changes nothing again.

import { randomUUID } from 'node:crypto';
import { requestHash } from '../ids.ts';
import { CalloutError, ConflictError, Problems } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import type { Resolution } from '../lifecycle/states.ts';
import type { ReplayFilter } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import type { ActionChanger } from '../bulk-launches/ports.ts';
import { MAX_REPLAY, type BulkReplayBody, type BulkReplayReport } from './schemas.ts';
import { isoTime as iso, parseDateTime } from '../clock.ts';

export type ReplayStore = Pick<
  Store,
  | 'countReplayActions'
  | 'listReplayActions'
  | 'listReplayActionIds'
  | 'getConfig'
  | 'listConfig'
  | 'takeReplayKey'
  | 'renewReplayKey'
  | 'finishReplayKey'
>;

/** How long a run holds its key before a repeat may run it again (its node stopped mid-run); renewed each minute. */
const KEY_LEASE_MS = 10 * 60_000;
const KEY_RENEW_MS = 60_000;
/** How long a key answers repeats. */
const KEY_KEPT_MS = 24 * 60 * 60_000;

const SAMPLE = 10;

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
  ) {}

  async replay(body: BulkReplayBody, user: string, idempotencyKey?: string): Promise<BulkReplayReport> {
    const filter = await this.filterOf(body);
    if (body.dryRun === true) {
      // Changes nothing: a repeat simply counts again.
      const count = await this.store.countReplayActions(filter);
      const sample = (await this.store.listReplayActions(filter, SAMPLE)).map(brief);
      return { dryRun: true, operation: body.operation, count, sample };
    }
    if (idempotencyKey === undefined) return this.run(body, filter, user);
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
      report = await this.run(body, filter, user, keepHold);
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
  ): Promise<BulkReplayReport> {
    const count = await this.store.countReplayActions(filter);
    const max = body.max ?? MAX_REPLAY;
    const items: ReplayItem[] = [];
    // Ids only: each action is read as it is changed, so a run holds one action at a time, not 10,000.
    for (const id of await this.store.listReplayActionIds(filter, max)) {
      await beforeEach();
      try {
        if (body.operation === 'retry') await this.actions.retry(id, user);
        else await this.actions.close(id, user, body.resolution as Resolution, body.note);
        items.push({ id, status: 'done' });
      } catch (err) {
        // One action that cannot take the change (closed meanwhile, not in To Do) must not stop the rest.
        if (!(err instanceof CalloutError) || err.status >= 500) throw err;
        items.push({ id, status: 'skipped', reason: err.message });
      }
    }
    const done = items.filter((i) => i.status === 'done').length;
    return {
      dryRun: false,
      operation: body.operation,
      count,
      done,
      skipped: items.length - done,
      // Matching actions beyond `max`: run again for the next ones.
      remaining: Math.max(0, count - items.length),
      items,
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
