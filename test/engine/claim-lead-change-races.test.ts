// A person's change to an action held claimed ahead, in the races an outside review found (each test
// failed before its fix): a change read before the claim and written after it, a change whose write
// meets another node's, a release whose commit's answer is lost. Fake clock, loopback mock, on SQLite,
// the SQLite thread and PostgreSQL. A store wrapper lets a test hold one write back (to interleave it
// with a claim) or lose the answer to one after it committed (OutcomeUnknownError, as a connection
// dropped after COMMIT).

import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import { OutcomeUnknownError } from '../../src/store/failures.ts';
import type { ActionWrite, Store } from '../../src/store/types.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';

const HOUR = 3_600_000;
const quiet = createLogger({ level: 'silent' });
const mock = fileMock();
const sends = mock.sends;

interface Ctl {
  /** The next write of this action waits for `release`. */
  block: { id: string; release: Promise<void> } | null;
  blocked: number;
  /** The next write of this action commits, then its caller is told the outcome is unknown. */
  loseAnswer: string | null;
}
function wrap(store: Store): { store: Store; ctl: Ctl } {
  const ctl: Ctl = { block: null, blocked: 0, loseAnswer: null };
  const proxy = new Proxy(store, {
    get(t, p) {
      if (p === 'writeActions')
        return async (writes: ActionWrite[]) => {
          const b = ctl.block;
          if (b && writes.some((w) => w.action.id === b.id)) {
            ctl.block = null;
            ctl.blocked++;
            await b.release;
          }
          const r = await t.writeActions(writes);
          const lose = ctl.loseAnswer;
          if (lose && writes.some((w) => w.action.id === lose)) {
            ctl.loseAnswer = null;
            throw new OutcomeUnknownError('connection lost after COMMIT');
          }
          return r;
        };
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { store: proxy, ctl };
}

const common = (maxInFlight: number) => ({
  allowPrivateNetworks: true,
  publicUrl: 'http://127.0.0.1:9',
  logger: quiet,
  engine: { pollIntervalMs: HOUR, claimLeadMs: 50, maxInFlight },
});
type Opened = { c: Callout; ctl: Ctl; cleanup: () => Promise<void>; second?: () => Promise<Callout> };
const sqlite =
  (threaded: boolean) =>
  async (clock: FakeClock, maxInFlight: number): Promise<Opened> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-review-'));
    const opts = { file: join(dataDir, 'callout.db'), synchronous: 'full', logger: quiet, backgroundCheckpoints: true } as const;
    const { store, ctl } = wrap(threaded ? openThreadedSqliteStore(opts) : new SqliteStore(opts));
    const c = await Callout.open({ store, clock, secretKey: randomBytes(32).toString('hex'), ...common(maxInFlight) });
    return { c, ctl, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  };
const backends = [
  { name: 'SQLite', open: sqlite(false) },
  { name: 'SQLite thread', open: sqlite(true) },
  {
    name: 'PostgreSQL',
    open: async (clock: FakeClock, maxInFlight: number): Promise<Opened> => {
      const schema = freshSchema('review');
      const secretKey = randomBytes(32).toString('hex');
      const pgStore = () => new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      const { store, ctl } = wrap(pgStore());
      const c = await Callout.open({ store, secretKey, clock, ...common(maxInFlight) });
      const others: Callout[] = [];
      return {
        c,
        ctl,
        second: async () => {
          const c2 = await Callout.open({ store: pgStore(), secretKey, clock: new FakeClock(clock.now()), ...common(maxInFlight) });
          others.push(c2);
          return c2;
        },
        cleanup: async () => {
          for (const o of others) await o.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`review ${backend.name}: changes to an action held claimed ahead`, () => {
    async function withCallout(
      maxInFlight: number,
      run: (c: Callout, clock: FakeClock, t0: number, o: Opened) => Promise<void>,
    ): Promise<void> {
      const clock = new FakeClock(Date.UTC(2026, 11, 5, 9, 0, 0));
      const o = await backend.open(clock, maxInFlight);
      try {
        await o.c.connectors.create({ name: 'vendor', baseUrl: mock.url });
        await o.c.actionTypes.create({ name: 'timer', connector: 'vendor', path: '/ok' });
        await o.c.actionTypes.create({ name: 'slow', connector: 'vendor', path: '/slow?ms=600' });
        await run(o.c, clock, clock.now(), o);
      } finally {
        await o.c.close();
        await o.cleanup();
      }
    }
    const phase = async (c: Callout, id: string) => (await c.actions.getAction(id)).phase;
    async function heldAhead(c: Callout, t0: number, type = 'timer'): Promise<string> {
      const [id] = await c.actions.launchMany([{ actionType: type, startAt: t0 + 40 }]);
      c.start();
      await expect.poll(() => phase(c, id!), { timeout: 3000 }).toBe('sending');
      expect(sends(id!)).toBe(0);
      return id!;
    }
    /** A pause read before the claim and written after it (its first write conflicts with the claim). */
    async function pauseAcrossTheClaim(c: Callout, ctl: Ctl, t0: number) {
      const [id] = await c.actions.launchMany([{ actionType: 'timer', startAt: t0 + 40 }]);
      let release!: () => void;
      ctl.block = { id: id!, release: new Promise<void>((r) => (release = r)) };
      const pausing = c.actions.pause(id!, 'ivy');
      await expect.poll(() => ctl.blocked, { timeout: 3000 }).toBe(1); // read queued, its write held back
      c.start();
      await expect.poll(() => phase(c, id!), { timeout: 3000 }).toBe('sending'); // claimed ahead meanwhile
      release();
      return { id: id!, paused: await pausing };
    }

    it('a pause read before the claim and written after it still stops the send: answered queued and paused', async () => {
      await withCallout(16, async (c, clock, t0, { ctl }) => {
        const { id, paused } = await pauseAcrossTheClaim(c, ctl, t0);
        expect(paused).toMatchObject({ phase: 'queued', retry: { paused: true } });
        clock.set(t0 + 40);
        await settle(200);
        expect(sends(id)).toBe(0);
        // Nor at the lease's end: the claim was given back.
        clock.set(t0 + 10 * 60_000);
        await settle(300);
        expect(sends(id)).toBe(0);
        expect(await c.actions.getAction(id)).toMatchObject({ state: 'waiting', phase: 'queued', attempts: 0, retry: { paused: true } });
        // A second pause changes nothing and puts nothing back to send.
        expect(await c.actions.pause(id, 'ivy')).toMatchObject({ phase: 'queued', retry: { paused: true } });
        await settle(100);
        expect(sends(id)).toBe(0);
      });
    });

    if (backend.name === 'PostgreSQL')
      it('two nodes: a note made through another node, then a pause through the claiming node: the pause stops the send', async () => {
        await withCallout(16, async (c, clock, t0, o) => {
          const c2 = await o.second!();
          const id = await heldAhead(c, t0);
          await c2.tasks.note(id, 'ann', { note: 'called them' }); // the other node meets `sending`, as the README says
          const paused = await c.actions.pause(id, 'ivy'); // its first write conflicts with the note's
          expect(paused).toMatchObject({ phase: 'queued', retry: { paused: true } });
          clock.set(t0 + 40);
          await settle(200);
          expect(sends(id)).toBe(0);
          clock.set(t0 + 10 * 60_000); // past the 45 s lease: not stranded, not sent while paused
          await settle(300);
          expect(sends(id)).toBe(0);
          expect((await c.actions.timeline(id)).map((e) => e.kind)).toEqual(['launched', 'message', 'paused']);
        });
      });

    it('a manual retry of a held action is sent once, at once', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        const r = await c.actions.retry(id, 'ivy');
        await expect.poll(() => sends(id), { timeout: 3000 }).toBe(1);
        await settle(200);
        clock.set(t0 + 40);
        await settle(200);
        expect({ phase: r.phase, sends: sends(id) }).toEqual({ phase: 'queued', sends: 1 });
      });
    });

    it('a note on a held action gives the claim back and it is still sent once, at its due time', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        // The record as the note's write left it (the engine may claim it again at once, as it is due within a lead).
        const written = await c.engine.apply(id, { type: 'message', text: 'fyi', actor: 'user:ivy' });
        expect(written.phase).toBe('queued');
        clock.set(t0 + 40);
        await expect.poll(() => sends(id), { timeout: 3000 }).toBe(1);
        // The mock counts the send as it arrives; the attempt is written once its answer is back (a full
        // run on three workers read the timeline in between).
        await expect.poll(async () => (await c.actions.getAction(id)).state).toBe('closed');
        const attempt = (await c.actions.timeline(id)).find((e) => e.kind === 'attempt')!;
        expect(Date.parse(attempt.at as unknown as string)).toBe(t0 + 40);
        await settle(200);
        expect(sends(id)).toBe(1);
      });
    });

    it('stopping while a refused change has the held copy out: it is sent once', async () => {
      await withCallout(16, async (c, clock, t0) => {
        const id = await heldAhead(c, t0);
        const refused = c.actions.pickUp(id, 'ivy').catch((e: unknown) => e);
        const stopping = c.engine.stop();
        clock.set(t0 + 40);
        await stopping;
        expect(await refused).toBeInstanceOf(Error);
        await settle(100);
        expect({ sends: sends(id), phase: await phase(c, id) }).toEqual({ sends: 1, phase: null });
      });
    });

    it('a refused change to one come due and waiting for room: sent once when room frees', async () => {
      await withCallout(1, async (c, clock, t0) => {
        const [slow] = await c.actions.launchMany([{ actionType: 'slow' }]);
        const id = await heldAhead(c, t0);
        await settle(60);
        clock.set(t0 + 40);
        await settle(60);
        await expect(c.actions.pickUp(id, 'ivy')).rejects.toThrow(/To Do/);
        await expect.poll(async () => (await c.actions.getAction(slow!)).state, { timeout: 5000 }).toBe('closed');
        await expect.poll(() => sends(id), { timeout: 3000 }).toBe(1);
        await settle(200);
        expect(sends(id)).toBe(1);
      });
    });

    it('a release whose commit is reported lost (outcome unknown) is not held again: one send, not two', async () => {
      await withCallout(16, async (c, clock, t0, { ctl }) => {
        const id = await heldAhead(c, t0, 'slow');
        ctl.loseAnswer = id;
        await expect(c.tasks.note(id, 'ivy', { note: 'fyi' })).rejects.toThrow(/after COMMIT/);
        expect(await phase(c, id)).toBe('queued'); // the release (and the note) did commit
        clock.set(t0 + 40); // the held copy, put back, goes out (600 ms: the mock logs it when it answers)
        await settle(100);
        // Any claim while that attempt is in flight (PostgreSQL: the write's notification; here also
        // another launch waking the loop) finds the released row due and sends it again.
        await c.actions.launchMany([{ actionType: 'timer' }]);
        await settle(1500);
        expect(sends(id)).toBe(1);
      });
    });
  });
}
