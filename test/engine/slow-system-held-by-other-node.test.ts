// heldBy on another node (PostgreSQL, two nodes) says slow_system for an action a slow system's share
// holds, though its throttled spell began with another hold (maxConcurrency, since lifted). The lifecycle
// notes a hold only when an action enters throttled, so the note was the slot's, and the view said
// max_concurrency "no concurrency limit now": each hold for a slow system's place is noted now.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Callout } from '../../src/callout.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { fileMock, settle } from '../helpers/file-mock.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });
const mock = fileMock();

describe('heldBy of an action whose throttled spell began with another hold', () => {
  it('says slow_system on another node once a slow system holds it', async () => {
    const schema = freshSchema('heldby');
    const secretKey = randomBytes(32).toString('hex');
    const common = { allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet };
    const open = (maxInFlight: number) =>
      Callout.open({
        store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet }),
        secretKey,
        ...common,
        engine: { maxInFlight },
      });
    const a = await open(8); // share 4, slow after 2 attempts of a second
    let b: Callout | undefined;
    try {
      await a.connectors.create({ name: 'api', baseUrl: mock.url, maxConcurrency: 4 });
      await a.actionTypes.create({ name: 'slow', connector: 'api', path: '/slow?ms=9000' });
      await a.actionTypes.create({ name: 'quick', connector: 'api', path: '/ok' });
      await a.actions.launchMany(Array.from({ length: 4 }, () => ({ actionType: 'slow' })));
      a.start();
      await settle(300); // the 4 slow ones took the 4 slots
      const hid = (await a.actions.launch({ actionType: 'quick' })).action.id;
      await expect.poll(async () => (await a.store.getAction(hid))!.phase, { timeout: 3000, interval: 20 }).toBe('throttled');
      const slotHeld = (await a.store.getAction(hid))!;
      await a.connectors.update('api', { maxConcurrency: null }); // the limit is lifted; the system is slow
      // At its recheck (2–4 s on) it is claimed again and held for the slow system's share (4 of 4 taken).
      await expect
        .poll(
          async () => {
            const x = (await a.store.getAction(hid))!;
            return x.version > slotHeld.version && x.phase === 'throttled' && x.dueAt! > slotHeld.dueAt!;
          },
          { timeout: 10_000, interval: 50 },
        )
        .toBe(true);
      // The live bulkhead on node A (polled: a recheck's claim, shown as sending, can fall between on a loaded machine).
      await expect.poll(async () => (await a.actions.getAction(hid)).heldBy?.reason, { timeout: 5000, interval: 50 }).toBe('slow_system');
      b = await open(8); // node B, engine not started: sees only what the store says
      const viewB = await b.actions.getAction(hid);
      expect(viewB.phase).toBe('throttled');
      // Held again since (by the bulkhead: the only thing left that holds it), due after the rate window.
      const now = (await b.store.getAction(hid))!;
      expect(now.version).toBeGreaterThan(slotHeld.version);
      expect(now.dueAt!).toBeGreaterThan(slotHeld.dueAt!);
      expect(viewB.heldBy).toMatchObject({ reason: 'slow_system' }); // it said max_concurrency "no concurrency limit now"
    } finally {
      await b?.close();
      await a.close();
      await dropSchema(schema);
    }
  }, 30_000);
});
