// Schedules (SPEC 10.1): cron in a named time zone, launching an action or a case. Validation of a
// POST /v1/schedules body, the next run after an instant (daylight-saving changes as cron users expect:
// at given hours, a time skipped in spring runs at the first instant after the gap and a time repeated
// in autumn runs once; every hour follows real time), and the tick id that makes "one launch per tick"
// a unique key in the store.

import { Cron } from 'croner';
import { type Doc, NAME_HINT, NAME_PATTERN, isObject, obj, str, unknownKeys } from '../validation/check.ts';
import { Problems } from '../errors.ts';
import { DAY_MS, ZoneClock } from './zone-clock.ts';

export type ScheduleLaunch =
  | { readonly actionType: string; readonly input: Readonly<Record<string, unknown>> }
  | {
      readonly process: string;
      readonly title: string | null;
      readonly data: Readonly<Record<string, unknown>>;
      readonly owner: string | null;
    };

export interface ScheduleSpec {
  readonly name: string;
  /** Five-part cron (minute hour day-of-month month day-of-week), six-part with seconds first, or a nickname such as @daily. */
  readonly cron: string;
  /** An IANA time zone name, e.g. Europe/Amsterdam. @default 'UTC' */
  readonly timezone: string;
  readonly launch: ScheduleLaunch;
  /** @default false */
  readonly paused: boolean;
}

// IANA names are Area/Location words; this refuses offsets ("+01:00") some runtimes also accept.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The problem with a time zone name, or undefined when it is a zone this runtime knows. */
export function timezoneProblem(tz: string): string | undefined {
  if (ZONE_NAME.test(tz)) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return undefined;
    } catch {
      // Fall through: an unknown zone gets the same message as a malformed one.
    }
  }
  return `must be an IANA time zone name such as Europe/Amsterdam or UTC; ${JSON.stringify(tz)} is not one`;
}

function cronOf(cron: string, timezone: string): Cron {
  // paused: only the pattern is used here; the scheduler launches, never croner's own timer. Six parts
  // put seconds first ("*/10 * * * * *"): minute resolution is too coarse for short jobs and tests.
  return new Cron(cron, { timezone, paused: true, mode: '5-or-6-parts' });
}

/** The problem with a cron pattern, or undefined when it is valid and runs at least once more. */
export function cronProblem(cron: string, timezone = 'UTC', now = 0): string | undefined {
  let job: Cron;
  try {
    job = cronOf(cron, timezone);
  } catch (e) {
    return `is not a valid cron pattern: ${(e as Error).message.replace(/^CronPattern: /, '')}`;
  }
  if (job.nextRun(new Date(now)) === null) return 'never runs (no date matches it)';
  return undefined;
}

/** The first scheduled instant strictly after `after` (epoch ms), or null when there is none. */
export function nextRunAt(schedule: Pick<ScheduleSpec, 'cron' | 'timezone'>, after: number): number | null {
  return runsOf(schedule)(after);
}

/**
 * The schedule's "first run strictly after t", with daylight-saving changes as cron users expect them
 * (vixie cron's rule): a pattern at given hours runs once at a local time the clock passes twice, and a
 * local time the clock skips runs once, at the first instant after the gap; a pattern of every hour
 * (the hour field `*`, or a step of it) follows real time through both. croner did this for one time of
 * day (`30 2 * * *`) but not for several (`0,30 2 * * *` ran four times on the autumn night and not at
 * all on the spring one).
 */
function runsOf(schedule: Pick<ScheduleSpec, 'cron' | 'timezone'>): (t: number) => number | null {
  const job = cronOf(schedule.cron, schedule.timezone);
  const next = (t: number): number | null => job.nextRun(new Date(t))?.getTime() ?? null;
  if (!atGivenHours(schedule.cron) || schedule.timezone === 'UTC') return next;
  const zone = ZoneClock.of(schedule.timezone);
  // The same pattern read on the wall clock as UTC: which local times it names, gaps or not.
  const onWall = cronOf(schedule.cron, 'UTC');
  return (t) => {
    for (let from = t, guard = 0; guard < 8; guard++) {
      const n = next(from);
      // Every change forward before croner's next run (a rare pattern's runs can be a year apart).
      const until = n ?? from + 400 * DAY_MS;
      for (let gap = zone.forwardChange(from, until); gap !== null; gap = zone.forwardChange(gap[0], until)) {
        // Skipped local times [wall before the change, wall after it): the pattern names one of them.
        const [at, skippedFrom, skippedTo] = gap;
        const named = onWall.nextRun(new Date(skippedFrom - 1))?.getTime();
        if (named !== undefined && named < skippedTo && (n === null || at < n)) return at;
      }
      if (n === null || !zone.repeated(n)) return n;
      // The local times' second pass: each ran at its first. Past all of it at once (a pattern can
      // name every minute of the hour).
      from = zone.secondPassEnd(n);
    }
    return next(t);
  };
}

/** The nicknames croner knows, by whether they name given hours. */
const NICKNAMES_AT_GIVEN_HOURS: Record<string, boolean> = {
  '@yearly': true,
  '@annually': true,
  '@monthly': true,
  '@weekly': true,
  '@daily': true,
  '@midnight': true,
  '@hourly': false,
};

/** Whether the pattern names given hours (its hour field is not `*` or a step of it). */
function atGivenHours(cron: string): boolean {
  const c = cron.trim().toLowerCase();
  if (c.startsWith('@')) return NICKNAMES_AT_GIVEN_HOURS[c] ?? false;
  const parts = c.split(/\s+/);
  const hour = parts.length === 6 ? parts[2] : parts[1];
  return hour !== undefined && !hour.startsWith('*');
}

/**
 * The tick due at `now`: the latest scheduled instant after `lastTickAt` and not after `now`. Ticks
 * missed while no node ran collapse into this one, so a long outage launches once, not once per tick.
 * Found by bisection, not by walking the missed ticks: "is there a tick in (t, now]?" is true for every
 * t before that instant and false from it on, so about 40 lookups find it after any outage (walking a
 * per-second schedule's week took 100,000 lookups, ≈8 s of a blocked event loop inside the claim).
 */
export function dueTick(schedule: Pick<ScheduleSpec, 'cron' | 'timezone'>, lastTickAt: number, now: number): number | null {
  const after = runsOf(schedule);
  const first = after(lastTickAt);
  if (first === null || first > now) return null;
  const dueAfter = (t: number): boolean => {
    const next = after(t);
    return next !== null && next <= now;
  };
  // Invariant: a tick lies in (lo, now], none in (hi, now].
  let lo = lastTickAt;
  let hi = now;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (dueAfter(mid)) lo = mid;
    else hi = mid;
  }
  return after(lo);
}

/** The unique key of one launch: every node computing the same tick writes the same id, and only one insert wins. */
export function tickId(scheduleId: string, scheduledAt: number): string {
  return `${scheduleId}@${new Date(scheduledAt).toISOString()}`;
}

const LAUNCH_KEYS = ['actionType', 'input', 'process', 'title', 'data', 'owner'] as const;

/** Validates a POST /v1/schedules body; `now` checks that the pattern still has a run ahead. */
export function compileSchedule(body: unknown, now: number): ScheduleSpec {
  const p = new Problems();
  if (!isObject(body)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = body as Doc;
  unknownKeys(p, v, '', ['name', 'cron', 'timezone', 'launch', 'paused']);
  const name = str(p, v.name, 'name', { pattern: NAME_PATTERN, patternHint: NAME_HINT }) ?? '';
  let timezone = str(p, v.timezone, 'timezone', { required: false, max: 100 }) ?? 'UTC';
  const tzProblem = timezoneProblem(timezone);
  if (tzProblem !== undefined) {
    p.add('timezone', tzProblem);
    timezone = 'UTC';
  }
  const cron = str(p, v.cron, 'cron', { max: 200 });
  if (cron !== undefined) {
    const problem = cronProblem(cron, timezone, now);
    if (problem !== undefined) p.add('cron', problem);
  }
  const paused = v.paused ?? false;
  if (typeof paused !== 'boolean') p.add('paused', 'must be true or false');
  const launch = checkLaunch(p, v.launch);
  p.throwIfAny();
  return Object.freeze({ name, cron: cron!, timezone, launch: launch!, paused: paused === true });
}

function checkLaunch(p: Problems, v: unknown): ScheduleLaunch | undefined {
  const l = obj(p, v, 'launch');
  if (l === undefined) return undefined;
  unknownKeys(p, l, 'launch', LAUNCH_KEYS);
  const record = (x: unknown, field: string): Record<string, unknown> => {
    if (x === undefined || x === null) return {};
    if (isObject(x)) return x;
    p.add(field, 'must be an object');
    return {};
  };
  if ((l.actionType === undefined) === (l.process === undefined)) {
    p.add('launch', 'must name either actionType (an action) or process (a case)');
    return undefined;
  }
  if (l.actionType !== undefined) {
    for (const k of ['title', 'data', 'owner'])
      if (l[k] !== undefined) p.add(`launch.${k}`, 'belongs to a case launch (process), not an action');
    const actionType = str(p, l.actionType, 'launch.actionType', { max: 200 }) ?? '';
    return Object.freeze({ actionType, input: Object.freeze(record(l.input, 'launch.input')) });
  }
  if (l.input !== undefined) p.add('launch.input', 'belongs to an action launch; a case takes data');
  const process = str(p, l.process, 'launch.process', { max: 200 }) ?? '';
  const title = str(p, l.title, 'launch.title', { required: false, max: 500 }) ?? null;
  const owner = str(p, l.owner, 'launch.owner', { required: false, max: 64 }) ?? null;
  return Object.freeze({ process, title, data: Object.freeze(record(l.data, 'launch.data')), owner });
}
