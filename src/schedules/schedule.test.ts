// Schedules: validation naming cron/timezone, next runs across daylight-saving changes, and tick ids.

import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { ValidationError } from '../errors.ts';
import { compileSchedule, cronProblem, dueTick, nextRunAt, tickId, timezoneProblem } from './schedule.ts';
import { ScheduleBody } from './schemas.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function problems(body: unknown): Array<{ field: string; message: string }> {
  try {
    compileSchedule(body, NOW);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors ?? [];
    throw e;
  }
  throw new Error('expected the body to be refused');
}

describe('compileSchedule', () => {
  it('accepts the SPEC example', () => {
    const body = {
      name: 'daily-sync',
      cron: '0 8 * * 1-5',
      timezone: 'Europe/Amsterdam',
      launch: { actionType: 'sync-payroll', input: {} },
    };
    expect(compileSchedule(body, NOW)).toEqual({ ...body, paused: false });
    expect(Value.Check(ScheduleBody, body)).toBe(true);
  });

  it('accepts a case launch and defaults the zone to UTC', () => {
    const s = compileSchedule({ name: 'weekly', cron: '@weekly', launch: { process: 'review', data: { team: 'a' }, owner: 'alice' } }, NOW);
    expect(s.timezone).toBe('UTC');
    expect(s.launch).toEqual({ process: 'review', title: null, data: { team: 'a' }, owner: 'alice' });
  });

  it('names cron and timezone when they are wrong', () => {
    expect(problems({ name: 's', cron: '61 * * * *', timezone: 'Mars/Base', launch: { actionType: 'a' } })).toEqual([
      { field: 'timezone', message: expect.stringContaining('must be an IANA time zone name') },
      { field: 'cron', message: expect.stringMatching(/^is not a valid cron pattern: .*minute/) },
    ]);
  });

  it('accepts six-part (seconds first) patterns; refuses seven parts, patterns that never run, and offsets as zones', () => {
    expect(compileSchedule({ name: 's', cron: '*/5 * * * * *', launch: { actionType: 'a' } }, NOW).cron).toBe('*/5 * * * * *');
    expect(nextRunAt({ cron: '*/5 * * * * *', timezone: 'UTC' }, NOW)).toBe(NOW + 5000);
    expect(problems({ name: 's', cron: '0 */5 * * * * 2030', launch: { actionType: 'a' } })[0]!.field).toBe('cron');
    expect(problems({ name: 's', cron: '0 0 30 2 *', launch: { actionType: 'a' } })).toEqual([
      { field: 'cron', message: 'never runs (no date matches it)' },
    ]);
    expect(timezoneProblem('+01:00')).toBeDefined();
    expect(timezoneProblem('Europe/Amsterdam')).toBeUndefined();
    expect(cronProblem('0 8 * *')).toMatch(/^is not a valid cron pattern/);
  });

  it('requires exactly one of actionType or process, and keeps their settings apart', () => {
    expect(problems({ name: 's', cron: '@daily', launch: {} })).toEqual([
      { field: 'launch', message: 'must name either actionType (an action) or process (a case)' },
    ]);
    expect(problems({ name: 's', cron: '@daily', launch: { actionType: 'a', process: 'p' } })[0]!.field).toBe('launch');
    expect(problems({ name: 's', cron: '@daily', launch: { actionType: 'a', data: {} } })).toEqual([
      { field: 'launch.data', message: 'belongs to a case launch (process), not an action' },
    ]);
    expect(problems({ name: 's', cron: '@daily', launch: { actionType: 'a', input: [] } })).toEqual([
      { field: 'launch.input', message: 'must be an object' },
    ]);
    expect(problems({ name: 's', cron: '@daily' })).toEqual([{ field: 'launch', message: 'is required' }]);
    expect(problems({ name: 's', cron: '@daily', launch: { actionType: 'a' }, every: '1h' })).toEqual([
      { field: 'every', message: 'is not a known setting' },
    ]);
  });
});

describe('nextRunAt', () => {
  const weekdays = { cron: '0 8 * * 1-5', timezone: 'Europe/Amsterdam' };

  it('follows the zone: 08:00 Amsterdam is 07:00 UTC in winter and 06:00 UTC in summer, weekdays only', () => {
    expect(iso(nextRunAt(weekdays, at('2026-01-02T12:00:00Z')))).toBe('2026-01-05T07:00:00.000Z'); // Friday noon -> Monday
    expect(iso(nextRunAt(weekdays, at('2026-06-01T12:00:00Z')))).toBe('2026-06-02T06:00:00.000Z');
  });

  it('is strictly after the given instant', () => {
    expect(iso(nextRunAt(weekdays, at('2026-01-05T07:00:00Z')))).toBe('2026-01-06T07:00:00.000Z');
  });

  it('spring forward: a 02:30 daily job runs once on the short day, at 03:00 after the gap, then at 02:30 again', () => {
    const job = { cron: '30 2 * * *', timezone: 'Europe/Amsterdam' };
    const first = nextRunAt(job, at('2026-03-28T12:00:00Z'));
    expect(iso(first)).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST; 02:30 does not exist that night
    expect(iso(nextRunAt(job, first!))).toBe('2026-03-30T00:30:00.000Z'); // 02:30 CEST
  });

  it('fall back: a 02:30 daily job runs once although 02:30 happens twice', () => {
    const job = { cron: '30 2 * * *', timezone: 'Europe/Amsterdam' };
    const first = nextRunAt(job, at('2026-10-24T12:00:00Z'));
    expect(iso(first)).toBe('2026-10-25T00:30:00.000Z'); // the first 02:30 (CEST)
    expect(iso(nextRunAt(job, first!))).toBe('2026-10-26T01:30:00.000Z'); // not the second 02:30 (CET) at 01:30Z
  });

  /** Every run of the schedule in [from, to). */
  const runs = (cron: string, timezone: string, from: string, to: string): string[] => {
    const out: string[] = [];
    for (let t = nextRunAt({ cron, timezone }, at(from) - 1); t !== null && t < at(to); t = nextRunAt({ cron, timezone }, t))
      out.push(iso(t)!);
    return out;
  };

  it('several times within the changing hour: each once in autumn, once after the gap in spring (croner: four, and none)', () => {
    const berlin = 'Europe/Berlin';
    expect(runs('0,30 2 * * *', berlin, '2027-03-27T22:00:00Z', '2027-03-28T22:00:00Z')).toEqual(['2027-03-28T01:00:00.000Z']);
    expect(runs('0,30 2 * * *', berlin, '2027-10-30T22:00:00Z', '2027-10-31T23:00:00Z')).toEqual([
      '2027-10-31T00:00:00.000Z', // 02:00 CEST
      '2027-10-31T00:30:00.000Z', // 02:30 CEST; not again at 02:00 and 02:30 CET
    ]);
    expect(runs('*/15 2 * * *', berlin, '2027-10-30T22:00:00Z', '2027-10-31T23:00:00Z')).toHaveLength(4);
    expect(runs('*/15 2 * * *', berlin, '2027-03-27T22:00:00Z', '2027-03-28T22:00:00Z')).toEqual(['2027-03-28T01:00:00.000Z']);
    // With seconds, and the day after: back to the plain times.
    expect(runs('0 0,30 2 * * *', berlin, '2027-03-27T22:00:00Z', '2027-03-29T22:00:00Z')).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T00:00:00.000Z',
      '2027-03-29T00:30:00.000Z',
    ]);
    // A time after the gap is not moved: 03:00 CEST runs once, at 03:00.
    expect(runs('0 3 * * *', berlin, '2027-03-27T22:00:00Z', '2027-03-28T22:00:00Z')).toEqual(['2027-03-28T01:00:00.000Z']);
  });

  it('every minute of a repeated hour runs once (New York), every ten seconds of one too (Berlin)', () => {
    // 2027-11-07: 01:00–02:00 EDT (05:00Z–06:00Z), then 01:00–02:00 EST (06:00Z–07:00Z).
    const everyMinute = runs('* 1 * * *', 'America/New_York', '2027-11-07T04:00:00Z', '2027-11-07T08:00:00Z');
    expect(everyMinute).toHaveLength(60);
    expect(everyMinute.at(-1)).toBe('2027-11-07T05:59:00.000Z');
    expect(runs('*/5 1 * * *', 'America/New_York', '2027-11-07T04:00:00Z', '2027-11-07T08:00:00Z')).toHaveLength(12);
    expect(runs('*/10 * 2 * * *', 'Europe/Berlin', '2027-10-30T23:00:00Z', '2027-10-31T03:00:00Z')).toHaveLength(360);
    expect(dueTick({ cron: '* 1 * * *', timezone: 'America/New_York' }, at('2027-11-07T05:59:00Z'), at('2027-11-07T06:30:00Z'))).toBeNull();
  });

  it('a yearly time in a skipped day runs after the gap, past an earlier change that named nothing (Apia, 30 Dec 2011)', () => {
    expect(iso(nextRunAt({ cron: '0 9 30 12 *', timezone: 'Pacific/Apia' }, at('2010-12-30T20:00:00Z')))).toBe('2011-12-30T10:00:00.000Z');
  });

  it('a pattern of every hour follows real time through both changes', () => {
    const berlin = 'Europe/Berlin';
    // Autumn: 02:00–03:00 twice, so every quarter hour of both.
    expect(runs('*/15 * * * *', berlin, '2027-10-30T23:30:00Z', '2027-10-31T02:00:00Z')).toHaveLength(10);
    // Spring: the clock skips 02:xx, a quarter-hourly job goes on every real quarter hour.
    expect(runs('*/15 * * * *', berlin, '2027-03-28T00:00:00Z', '2027-03-28T02:00:00Z')).toHaveLength(8);
  });

  it('dueTick after a stop across the autumn change finds the run of the first pass, not a second', () => {
    const job = { cron: '0,30 2 * * *', timezone: 'Europe/Berlin' };
    expect(iso(dueTick(job, at('2027-10-31T00:30:00Z'), at('2027-10-31T01:45:00Z')))).toBeNull();
    expect(iso(dueTick(job, at('2027-10-30T12:00:00Z'), at('2027-10-31T01:45:00Z')))).toBe('2027-10-31T00:30:00.000Z');
  });

  it('an hourly job runs every real hour through the autumn change (two local 02:00s)', () => {
    const job = { cron: '0 * * * *', timezone: 'Europe/Amsterdam' };
    let t = at('2026-10-24T23:30:00Z');
    const runs: Array<string | null> = [];
    for (let i = 0; i < 4; i++) {
      t = nextRunAt(job, t)!;
      runs.push(iso(t));
    }
    expect(runs).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });
});

describe('dueTick and tickId', () => {
  const hourly = { cron: '0 * * * *', timezone: 'UTC' };

  it('nothing is due before the next instant; at the instant it is due', () => {
    expect(dueTick(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T10:59:59Z'))).toBeNull();
    expect(iso(dueTick(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z')))).toBe('2026-01-01T11:00:00.000Z');
  });

  it('ticks missed while no node ran collapse into the latest one', () => {
    expect(iso(dueTick(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T15:20:00Z')))).toBe('2026-01-01T15:00:00.000Z');
  });

  it('after any outage the latest missed tick, the same as walking every tick would find', () => {
    // A per-second schedule after a week: the walk stopped at its 100,000th tick (a day and a bit in).
    const perSecond = { cron: '* * * * * *', timezone: 'UTC' };
    expect(iso(dueTick(perSecond, at('2026-01-01T00:00:00Z'), at('2026-01-08T00:00:00.700Z')))).toBe('2026-01-08T00:00:00.000Z');
    expect(iso(dueTick({ cron: '*/5 * * * *', timezone: 'UTC' }, at('2025-01-01T00:00:00Z'), at('2026-01-01T00:07:00Z')))).toBe(
      '2026-01-01T00:05:00.000Z',
    );
    // Irregular patterns and a time zone with a DST change, against a walk over a short gap.
    const walk = (cron: string, timezone: string, from: number, to: number): number | null => {
      let due: number | null = null;
      for (let t = nextRunAt({ cron, timezone }, from); t !== null && t <= to; t = nextRunAt({ cron, timezone }, t)) due = t;
      return due;
    };
    const from = at('2026-03-27T00:00:00Z');
    for (const [cron, timezone] of [
      ['*/7 9-17 * * 1-5', 'Europe/Berlin'],
      ['30 2 * * *', 'Europe/Berlin'],
      ['0 0 L * *', 'UTC'],
      ['15 10 * * 0', 'America/New_York'],
    ] as const)
      for (const days of [0.01, 0.5, 1, 3, 9, 40])
        expect(dueTick({ cron, timezone }, from, from + days * 86_400_000), `${cron} ${days}d`).toBe(
          walk(cron, timezone, from, from + days * 86_400_000),
        );
  });

  it('every node computes the same tick id for the same instant, and different ids for different ticks', () => {
    const a = tickId('sch_1', dueTick(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00.400Z'))!);
    const b = tickId('sch_1', dueTick(hourly, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:02Z'))!);
    expect(a).toBe('sch_1@2026-01-01T11:00:00.000Z');
    expect(b).toBe(a);
    expect(tickId('sch_1', at('2026-01-01T12:00:00Z'))).not.toBe(a);
    expect(tickId('sch_2', at('2026-01-01T11:00:00Z'))).not.toBe(a);
  });
});
