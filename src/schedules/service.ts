// Schedules (SPEC 10.1): create, list, read, pause/resume or change, delete. `nextRunAt` is stored
// and shown; the Scheduler launches. A schedule's action launch is checked against its action type
// when it is written, so a tick does not fail on input a person could have corrected at once.

import {
  ConflictError,
  NotFoundError,
  Problems,
  STORED_ATTEMPTS,
  ValidationError,
  checkSettingsTag,
  raceApart,
  type SettingsGuard,
} from '../errors.ts';
import { settingsTag } from '../api/if-match.ts';
import { isObject } from '../validation/check.ts';
import { stableJson, uuidv7 } from '../ids.ts';
import { isoTime as iso, type Clock } from '../clock.ts';
import type { ScheduleRow, ScheduleTick } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import type { ActionTypes } from '../bulk-launches/ports.ts';
import { compileSchedule, nextRunAt, type ScheduleSpec } from './schedule.ts';
import type { ScheduleView, TickView } from './schemas.ts';
import { MAX_INPUT_BYTES, MAX_JSON_DEPTH, jsonProblem } from '../json-limits.ts';
import { MAX_PAGE_BYTES, checkCursor, pageLimit } from '../pages.ts';
import { type OwnerLookup, ownerProblem } from '../cases/owner.ts';

export type ScheduleStore = Pick<
  Store,
  'insertSchedule' | 'getSchedule' | 'listSchedules' | 'listSchedulesPage' | 'updateSchedule' | 'deleteSchedule' | 'listScheduleTicks'
>;

/** What a builder chose for a schedule (not what the scheduler keeps: its next run, its last tick). */
export const scheduleSettingsOf = (s: ScheduleRow): Record<string, unknown> => ({
  name: s.name,
  cron: s.cron,
  timezone: s.timezone,
  launch: s.launch,
  paused: s.paused,
});

/** The entity tag of what a builder chose: the same while only ticks move the schedule on. */
export const scheduleTag = (s: ScheduleRow): string => settingsTag(scheduleSettingsOf(s));

export function scheduleView(s: ScheduleRow): ScheduleView {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    launch: s.launch as ScheduleView['launch'],
    paused: s.paused,
    nextRunAt: s.paused ? null : iso(s.nextRunAt),
    lastTickAt: iso(s.lastTickAt),
    createdBy: s.createdBy,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
    etag: scheduleTag(s),
  };
}

const PATCH_KEYS = ['name', 'cron', 'timezone', 'launch', 'paused'] as const;

/** What a schedule's launch names, looked up where its write will land (the store, or an import's file over it). */
export interface LaunchRefs extends CaseLaunchRefs {
  actionTypes: ActionTypes;
}

export interface CaseLaunchRefs {
  /** The id of the process a reference (id or name) names; undefined when there is none. */
  processId(ref: string): Promise<string | undefined>;
  /** Who may own a case (cases/owner.ts). */
  owners: OwnerLookup;
}

export class ScheduleService {
  constructor(
    private readonly store: ScheduleStore,
    private readonly actionTypes: ActionTypes,
    private readonly clock: Clock,
    /** Told when a schedule's next run may have moved earlier, so the scheduler re-arms its timer. */
    private readonly onChange: () => void = () => undefined,
    /** How a case launch's process and owner are checked; absent: not checked. */
    private readonly caseRefs: Partial<CaseLaunchRefs> = {},
  ) {}

  async create(body: unknown, user: string): Promise<ScheduleView> {
    const row = await this.newRow(body, user);
    await this.store.insertSchedule(row);
    this.onChange();
    return scheduleView(row);
  }

  /** A new schedule's row, not stored yet (an import stores several at once, and gives `refs` that see its file). */
  async newRow(body: unknown, user: string, refs?: LaunchRefs): Promise<ScheduleRow> {
    const now = this.clock.now();
    const spec = compileSchedule(body, now);
    const launch = await this.checkLaunch(spec, refs ?? this.refs());
    return {
      id: uuidv7(now),
      name: spec.name,
      cron: spec.cron,
      timezone: spec.timezone,
      launch,
      paused: spec.paused,
      nextRunAt: nextRunAt(spec, now),
      lastTickAt: null,
      createdBy: `user:${user}`,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
  }

  /** Tells the scheduler that schedules were written elsewhere (an import): a next run may have moved earlier. */
  changed(): void {
    this.onChange();
  }

  /** Every schedule, by name (the library's, as it was before the API paged them; the API pages them). */
  async list(): Promise<{ items: ScheduleView[] }> {
    return { items: (await this.store.listSchedules()).map(scheduleView) };
  }

  /**
   * A page of schedules, newest first; `next` is the `before` of the following page (null at the end).
   * A page also ends at about MAX_PAGE_BYTES of launches: each may carry an input of 256 KB.
   */
  async page(q: { before?: string; limit?: number } = {}): Promise<{ items: ScheduleView[]; next: string | null }> {
    checkCursor(q.before);
    const limit = pageLimit(q.limit);
    const { rows, more } = await this.store.listSchedulesPage({
      ...(q.before !== undefined ? { before: q.before } : {}),
      limit,
      maxBytes: MAX_PAGE_BYTES,
    });
    return { items: rows.map(scheduleView), next: more && rows.length > 0 ? rows[rows.length - 1]!.id : null };
  }

  async get(idOrName: string): Promise<ScheduleView & { recentTicks: TickView[] }> {
    const s = await this.find(idOrName);
    const ticks = await this.store.listScheduleTicks(s.id, 10);
    return { ...scheduleView(s), recentTicks: ticks.map(tickView) };
  }

  /**
   * Changes fields of a schedule; `{ "paused": true }` pauses it, `false` resumes it. A resumed (or
   * re-timed) schedule runs next after now: ticks missed while paused are not launched.
   */
  async update(idOrName: string, patch: unknown, guard?: SettingsGuard): Promise<ScheduleView> {
    if (!isObject(patch)) throw new ValidationError([{ field: '', message: 'the body must be a JSON object' }]);
    const p = new Problems();
    for (const k of Object.keys(patch)) if (!(PATCH_KEYS as readonly string[]).includes(k)) p.add(k, 'is not a schedule field');
    p.throwIfAny();
    // With `guard` (If-Match), made only while the stored choices still have the tag read: compared on
    // the row each write is guarded by (its version), so two changes sent with one tag cannot both be made.
    // Losses are spread apart: five tries at once answered 409 to some of ten changes sent together.
    for (let i = 0; i < STORED_ATTEMPTS; i++) {
      if (i > 0) await raceApart(i - 1);
      const cur = await this.find(idOrName);
      checkSettingsTag('Schedule', idOrName, scheduleTag(cur), guard);
      const merged = { ...scheduleSettingsOf(cur), ...patch };
      const next = await this.changedRow(cur, merged);
      if (await this.store.updateSchedule(next, cur.version)) {
        this.onChange();
        return scheduleView(next);
      }
    }
    throw new ConflictError('The schedule kept changing while this request was applied; fetch it and try again');
  }

  /** `cur` as the whole body `body` describes, its next version; not stored yet. */
  async changedRow(cur: ScheduleRow, body: unknown, refs?: LaunchRefs): Promise<ScheduleRow> {
    const now = this.clock.now();
    const spec = compileSchedule(body, now);
    const launch = await this.checkLaunch(spec, refs ?? this.refs(), cur.launch);
    const retimed = spec.cron !== cur.cron || spec.timezone !== cur.timezone || (cur.paused && !spec.paused);
    return {
      ...cur,
      name: spec.name,
      cron: spec.cron,
      timezone: spec.timezone,
      launch,
      paused: spec.paused,
      nextRunAt: retimed ? nextRunAt(spec, now) : cur.nextRunAt,
      updatedAt: now,
      version: cur.version + 1,
    };
  }

  /**
   * Deleted. With `guard` (If-Match), only while its settings still have the tag read, as update; a tick
   * that moved its version meanwhile is read again.
   */
  async delete(idOrName: string, guard?: SettingsGuard): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const s = await this.find(idOrName);
      checkSettingsTag('Schedule', idOrName, scheduleTag(s), guard);
      if (await this.store.deleteSchedule(s.id, guard ? s.version : undefined)) return;
      if (!guard) throw new NotFoundError('Schedule', idOrName);
    }
    throw new ConflictError('The schedule kept changing while this request was applied; fetch it and try again');
  }

  private async find(idOrName: string): Promise<ScheduleRow> {
    const s = await this.store.getSchedule(idOrName);
    if (!s) throw new NotFoundError('Schedule', idOrName);
    return s;
  }

  private refs(): LaunchRefs {
    const { processId = async (ref: string) => ref, owners } = this.caseRefs;
    return {
      actionTypes: this.actionTypes,
      processId,
      owners: owners ?? { user: async () => ({ disabled: false }), keys: async () => [] },
    };
  }

  /**
   * The launch as stored: an action launch names its action type by id and a case launch its process by
   * id (a rename breaks neither), input checked; a case launch's process and owner are checked as the case
   * would check them at every tick, unless they are what `before` (the stored launch) already names: a
   * schedule whose owner was disabled since can still be paused or changed otherwise.
   */
  private async checkLaunch(spec: ScheduleSpec, refs: LaunchRefs, before?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const l = spec.launch;
    // Bounded like a launch's input, before anything validates or stores it.
    const problem = jsonProblem('actionType' in l ? l.input : l.data, { maxDepth: MAX_JSON_DEPTH, maxBytes: MAX_INPUT_BYTES });
    if (problem) throw new ValidationError([{ field: 'actionType' in l ? 'launch.input' : 'launch.data', message: problem }]);
    if (!('actionType' in l)) {
      const p = new Problems();
      const process = l.process === before?.process ? l.process : await refs.processId(l.process);
      if (process === undefined) p.add('launch.process', `no process ${JSON.stringify(l.process)} exists`);
      const owner = l.owner === null || l.owner === before?.owner ? undefined : await ownerProblem(l.owner, refs.owners);
      if (owner) p.add('launch.owner', owner);
      p.throwIfAny();
      return { process, title: l.title, data: l.data, owner: l.owner };
    }
    // The stored launch kept as it is (a pause, a rename, a new cron): not checked again, as its owner
    // above is not. Its action type may have come to need more input since, and a schedule whose every
    // tick now fails must still be pausable without first mending its input.
    if (before !== undefined && l.actionType === before.actionType && stableJson(l.input) === stableJson(before.input ?? {}))
      return { actionType: l.actionType, input: l.input };
    const type = await refs.actionTypes.actionType(l.actionType).catch((e: unknown) => {
      if (e instanceof NotFoundError)
        throw new ValidationError([{ field: 'launch.actionType', message: `no action type ${JSON.stringify(l.actionType)} exists` }]);
      throw e;
    });
    const checked = type.compiled.templates.validateInput(l.input);
    if (!checked.ok)
      throw new ValidationError(
        checked.errors.map((e) => ({ field: e.field ? `launch.input.${e.field}` : 'launch.input', message: e.message })),
      );
    return { actionType: type.compiled.id, input: l.input };
  }
}

export function tickView(t: ScheduleTick): TickView {
  return {
    tickAt: new Date(t.tickAt).toISOString(),
    claimedBy: t.claimedBy,
    launchedId: t.launchedId,
    error: t.error,
  };
}
