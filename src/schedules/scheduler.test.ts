// The scheduler with a FakeClock on both real stores: a tick fires at its time, daylight-saving days,
// missed ticks collapse, two nodes give one launch per tick, and a tick whose node died is launched once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.ts';
import { ValidationError } from '../errors.ts';
import { uuidv7 } from '../ids.ts';
import { createLogger } from '../logger.ts';
import type { ScheduleRow } from '../store/bulk-schedule-types.ts';
import type { Store } from '../store/types.ts';
import type { ActionLaunchRequest, CaseLaunch } from '../bulk-launches/ports.ts';
import { backends } from '../../test/helpers/store-pair.ts';
import { nextRunAt } from './schedule.ts';
import { Scheduler, planTick } from './scheduler.ts';

const logger = createLogger({ level: 'silent' });
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Launches as Callout does with an Idempotency-Key: the same key gives the first id back. */
class RecordingLauncher {
  readonly byKey = new Map<string, { id: string; req: ActionLaunchRequest | CaseLaunch; at: number }>();
  refuse = false;
  constructor(private readonly clock: FakeClock) {}
  private record(key: string, req: ActionLaunchRequest | CaseLaunch): { id: string } {
    if (this.refuse) throw new ValidationError([{ field: 'input.Title', message: 'is required' }]);
    const prior = this.byKey.get(key);
    if (prior) return { id: prior.id };
    const id = `launched-${this.byKey.size + 1}`;
    this.byKey.set(key, { id, req, at: this.clock.now() });
    return { id };
  }
  async launch(req: ActionLaunchRequest, opts: { idempotencyKey: string }) {
    return { action: this.record(opts.idempotencyKey, req) };
  }
  async create(body: CaseLaunch, opts: { idempotencyKey: string }) {
    return this.record(opts.idempotencyKey, body);
  }
  /** The ticks launched for a schedule (from their launch keys), in order. */
  ticks(scheduleId: string): string[] {
    return [...this.byKey.keys()].filter((k) => k.startsWith(`schedule:${scheduleId}@`)).map((k) => k.split('@')[1]!);
  }
}

function scheduleRow(
  cron: string,
  timezone: string,
  now: number,
  launch: Record<string, unknown> = { actionType: 't', input: {} },
): ScheduleRow {
  return {
    id: uuidv7(now),
    name: `s-${Math.random().toString(36).slice(2)}`,
    cron,
    timezone,
    launch,
    paused: false,
    nextRunAt: nextRunAt({ cron, timezone }, now),
    lastTickAt: null,
    createdBy: 'user:test',
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

function node(store: Store, clock: FakeClock, launcher: RecordingLauncher, nodeId: string): Scheduler {
  return new Scheduler({ store, clock, launcher, cases: launcher, logger, nodeId, pollIntervalMs: 3_600_000, staleTickMs: 30_000 });
}

/** Advances the fake clock in steps, letting each pass of the schedulers finish. */
async function advance(clock: FakeClock, ms: number, nodes: Scheduler[], step = 1000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    for (const n of nodes) await n.settled();
  }
}

describe('planTick', () => {
  it('launches the latest due tick (missed ones collapse) and runs next after now', () => {
    const s = scheduleRow('0 * * * *', 'UTC', at('2026-01-01T00:30:00Z'));
    expect(iso(s.nextRunAt!)).toBe('2026-01-01T01:00:00.000Z');
    const p = planTick(s, at('2026-01-03T05:10:00Z'));
    expect(iso(p.tickAt!)).toBe('2026-01-03T05:00:00.000Z');
    expect(iso(p.nextRunAt!)).toBe('2026-01-03T06:00:00.000Z');
  });
});

for (const backend of backends) {
  describe(`Scheduler on ${backend.name}`, () => {
    let a: Store;
    let b: Store;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ a, b, dispose } = await backend.open());
    });
    afterAll(async () => dispose?.());

    it('fires a tick at its time in its zone, once, with the launch key of the tick', async () => {
      const clock = new FakeClock(at('2026-06-01T05:59:00Z')); // 07:59 in Amsterdam (summer time)
      const s = scheduleRow('0 8 * * *', 'Europe/Amsterdam', clock.now());
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      const n = node(a, clock, launcher, 'n1');
      n.start();
      await n.settled();
      await advance(clock, 59_000, [n]);
      expect(launcher.byKey.size).toBe(0);
      await advance(clock, 2000, [n]);
      expect([...launcher.byKey.keys()]).toEqual([`schedule:${s.id}@2026-06-01T06:00:00.000Z`]);
      expect(launcher.ticks(s.id)).toEqual(['2026-06-01T06:00:00.000Z']);
      await advance(clock, 24 * 3_600_000, [n], 600_000);
      expect(launcher.ticks(s.id)).toEqual(['2026-06-01T06:00:00.000Z', '2026-06-02T06:00:00.000Z']);
      const stored = await a.getSchedule(s.id);
      expect(iso(stored!.nextRunAt!)).toBe('2026-06-03T06:00:00.000Z');
      expect(await a.listScheduleTicks(s.id, 5)).toEqual([
        expect.objectContaining({ tickAt: at('2026-06-02T06:00:00Z'), launchedId: 'launched-2', claimedBy: 'n1' }),
        expect.objectContaining({ tickAt: at('2026-06-01T06:00:00Z'), launchedId: 'launched-1' }),
      ]);
      await n.stop();
      await a.deleteSchedule(s.id);
    });

    it('daylight-saving days: a skipped 02:30 runs after the gap, a repeated 02:30 runs once', async () => {
      const clock = new FakeClock(at('2026-03-28T12:00:00Z'));
      const s = scheduleRow('30 2 * * *', 'Europe/Amsterdam', clock.now());
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      const n = node(a, clock, launcher, 'n1');
      n.start();
      await advance(clock, 2 * 24 * 3_600_000, [n], 600_000);
      // 29 March: 02:00 jumps to 03:00, so 02:30 does not exist; the run comes at 03:00 (01:00Z).
      expect(launcher.ticks(s.id)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
      await n.stop();
      await a.deleteSchedule(s.id);

      const autumn = new FakeClock(at('2026-10-24T12:00:00Z'));
      const s2 = scheduleRow('30 2 * * *', 'Europe/Amsterdam', autumn.now());
      await a.insertSchedule(s2);
      const l2 = new RecordingLauncher(autumn);
      const n2 = node(a, autumn, l2, 'n1');
      n2.start();
      await advance(autumn, 2 * 24 * 3_600_000, [n2], 600_000);
      // 25 October: 03:00 goes back to 02:00, so 02:30 happens twice; it runs at the first.
      expect(l2.ticks(s2.id)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
      await n2.stop();
      await a.deleteSchedule(s2.id);
    });

    it('ticks missed while no node ran collapse into one launch', async () => {
      const clock = new FakeClock(at('2026-02-01T00:00:30Z'));
      const s = scheduleRow('*/5 * * * *', 'UTC', clock.now());
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      clock.advance(3 * 24 * 3_600_000); // nobody running for three days
      const n = node(a, clock, launcher, 'n1');
      n.start();
      await n.settled();
      expect([...launcher.byKey.keys()]).toEqual([`schedule:${s.id}@2026-02-04T00:00:00.000Z`]);
      await n.stop();
      await a.deleteSchedule(s.id);
    });

    it('two nodes on one store: exactly one launch per tick; a paused schedule launches nothing', async () => {
      const clock = new FakeClock(at('2026-04-01T10:00:00.500Z'));
      const s = scheduleRow('*/2 * * * * *', 'UTC', clock.now(), { process: 'onboarding', title: 'Tick', data: { n: 1 }, owner: null });
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      const nodes = [node(a, clock, launcher, 'n1'), node(b, clock, launcher, 'n2')];
      // Both look at once at every tick: the claim is the only thing between them.
      const both = async (): Promise<void> => void (await Promise.all(nodes.map((n) => n.runOnce())));
      for (let i = 0; i < 10; i++) {
        clock.advance(1000);
        await both();
      }
      const ticks = await a.listScheduleTicks(s.id, 100);
      expect(ticks.map((t) => iso(t.tickAt))).toEqual(
        [...Array(5).keys()].map((i) => `2026-04-01T10:00:${String(10 - 2 * i).padStart(2, '0')}.000Z`),
      );
      expect(launcher.byKey.size).toBe(5);
      expect(new Set(ticks.map((t) => t.launchedId)).size).toBe(5);
      expect([...launcher.byKey.values()][0]!.req).toEqual({ process: 'onboarding', title: 'Tick', data: { n: 1 }, owner: null });

      await a.updateSchedule({ ...(await a.getSchedule(s.id))!, paused: true, version: 99 }, (await a.getSchedule(s.id))!.version);
      for (let i = 0; i < 4; i++) {
        clock.advance(1000);
        await both();
      }
      expect(launcher.byKey.size).toBe(5);
      await a.deleteSchedule(s.id);
    });

    it('a tick claimed by a node that died before launching is launched by another node, once', async () => {
      const clock = new FakeClock(at('2026-05-01T00:00:00.500Z'));
      const s = scheduleRow('* * * * * *', 'UTC', clock.now());
      await a.insertSchedule(s);
      clock.advance(1000);
      // Node 1 claims the tick and dies before its launch.
      const now = clock.now();
      const claimed = await a.claimScheduleTicks({ now, owner: 'dead-node', limit: 10 }, (r) =>
        r.id === s.id ? planTick(r, now) : { tickAt: null, nextRunAt: r.nextRunAt },
      );
      expect(claimed).toHaveLength(1);
      await a.updateSchedule({ ...(await a.getSchedule(s.id))!, paused: true, version: 50 }, (await a.getSchedule(s.id))!.version);
      const launcher = new RecordingLauncher(clock);
      const survivor = node(b, clock, launcher, 'n2');
      await survivor.runOnce();
      expect(launcher.byKey.size).toBe(0); // not stale yet: the claimer may still be launching
      clock.advance(30_000);
      await survivor.runOnce();
      await survivor.runOnce();
      expect([...launcher.byKey.keys()]).toEqual([`schedule:${s.id}@2026-05-01T00:00:01.000Z`]);
      expect((await b.listOpenTicks(clock.now(), 10)).filter((t) => t.scheduleId === s.id)).toEqual([]);
      await a.deleteSchedule(s.id);
    });

    it('launches refused tick after tick are logged once (then once a minute), and their end once', async () => {
      const clock = new FakeClock(at('2026-05-03T00:00:00.500Z'));
      const s = scheduleRow('* * * * * *', 'UTC', clock.now());
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      launcher.refuse = true;
      const lines: Array<{ msg: string; repeats?: number }> = [];
      const captured = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
      const n = new Scheduler({
        store: a,
        clock,
        launcher,
        cases: launcher,
        logger: captured,
        nodeId: 'n1',
        pollIntervalMs: 3_600_000,
        staleTickMs: 30_000,
      });
      for (let i = 0; i < 10; i++) {
        clock.advance(1000);
        await n.runOnce();
      }
      expect((await a.listScheduleTicks(s.id, 20)).filter((t) => t.error !== null)).toHaveLength(10); // each tick says why
      expect(lines.map((l) => l.msg)).toEqual([`scheduler: the launches of schedule ${JSON.stringify(s.name)} are refused`]);
      launcher.refuse = false;
      clock.advance(1000);
      await n.runOnce();
      expect(lines.map((l) => l.msg).slice(1)).toEqual([
        `scheduler: the launches of schedule ${JSON.stringify(s.name)} are refused: recovered`,
      ]);
      await a.deleteSchedule(s.id);
    });

    it('a refused launch is written on the tick and not tried again', async () => {
      const clock = new FakeClock(at('2026-05-02T00:00:00.500Z'));
      const s = scheduleRow('* * * * * *', 'UTC', clock.now());
      await a.insertSchedule(s);
      const launcher = new RecordingLauncher(clock);
      launcher.refuse = true;
      const n = node(a, clock, launcher, 'n1');
      clock.advance(1000);
      await n.runOnce();
      await a.updateSchedule({ ...(await a.getSchedule(s.id))!, paused: true, version: 50 }, (await a.getSchedule(s.id))!.version);
      expect(await a.listScheduleTicks(s.id, 5)).toEqual([expect.objectContaining({ launchedId: null, error: 'input.Title is required' })]);
      clock.advance(60_000);
      expect((await a.listOpenTicks(clock.now(), 10)).filter((t) => t.scheduleId === s.id)).toEqual([]);
      await a.deleteSchedule(s.id);
    });
  });
}
