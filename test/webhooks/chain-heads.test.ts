// The outbox's chains on both stores: only the oldest pending delivery of a subscription and
// ordering key is due, the others wait with no due time and get it when the one before them ends; a
// delivery sent again by hand goes at once unless it still waits behind its chain's head; and the
// migration to this shape leaves a due time only on each chain's head.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Callout } from '../../src/callout.ts';
import { FakeClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from '../helpers/pg.ts';
import { STORES, startReceiver, type Receiver, type StoreName } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A Callout on the store, and a way to run SQL on that store directly (for the migration's test). */
async function open(store: StoreName, clock: FakeClock): Promise<{ c: Callout; sql: (text: string) => Promise<unknown[]> }> {
  const base = { clock, allowPrivateNetworks: true, logger: createLogger({ level: 'silent' }), webhooks: { jitter: 0 } };
  if (store === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'callout-wh-chain-'));
    const c = await Callout.open({ ...base, dataDir });
    cleanups.push(async () => (await c.close(), rmSync(dataDir, { recursive: true, force: true })));
    const sql = async (text: string): Promise<unknown[]> => {
      const db = new Database(join(dataDir, 'callout.db'));
      try {
        const st = db.prepare(text);
        return st.reader ? st.all() : (st.run(), []);
      } finally {
        db.close();
      }
    };
    return { c, sql };
  }
  const schema = freshSchema('whc');
  const pg = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 3 });
  const c = await Callout.open({ ...base, store: pg, secretKey: randomBytes(32).toString('hex') });
  cleanups.push(async () => (await c.close(), await dropSchema(schema)));
  const sql = (text: string): Promise<unknown[]> =>
    withAdmin(async (a) => (await a.query(`SET search_path TO ${schema}; ${text}`)) as never);
  return { c, sql: async (text) => ((await sql(text)) as unknown as Array<{ rows?: unknown[] }>).at(-1)?.rows ?? [] };
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

describe.each(STORES)('webhook chains on %s', (store) => {
  it('only the head of a chain is due; the next gets its due time when the one before it ends', async () => {
    const clock = new FakeClock(T0);
    const { c } = await open(store, clock);
    const rx = await receiver();
    const sub = await c.webhooks.create({ url: rx.url, events: ['case.*'] });
    const kase = (await c.cases.createCase({})).case;
    await c.cases.closeCase(kase.id);
    const [closed, created] = await c.webhooks.deliveries(sub.id);
    expect(created).toMatchObject({ eventType: 'case.created', status: 'pending', nextAttemptAt: new Date(T0).toISOString() });
    expect(closed).toMatchObject({ eventType: 'case.closed', status: 'pending', nextAttemptAt: null });
    clock.advance(1000);
    expect(await c.webhookWorker.tick()).toBe(1);
    const [next] = await c.webhooks.deliveries(sub.id);
    expect(next).toMatchObject({ eventType: 'case.closed', status: 'pending', nextAttemptAt: new Date(T0 + 1000).toISOString() });
    expect(await c.webhookWorker.tick()).toBe(1);
    expect(rx.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['case.created', 'case.closed']);
  });

  it('sent again by hand: a delivered one goes at once; one waiting behind its head keeps waiting', async () => {
    const clock = new FakeClock(T0);
    const { c } = await open(store, clock);
    const rx = await receiver();
    await c.connectors.create({ name: 'vendor', baseUrl: 'https://vendor.example' });
    await c.actionTypes.create({ name: 'ticket', connector: 'vendor', method: 'POST', path: '/t' });
    const sub = await c.webhooks.create({ url: rx.url, events: ['case.created', 'action.launched'] });
    const kase = (await c.cases.createCase({})).case;
    expect(await c.webhookWorker.tick()).toBe(1);
    rx.answer = () => ({ status: 500 });
    // Two launches in the case: the first heads the case's chain now, the second waits behind it.
    await c.actions.launch({ actionType: 'ticket', caseId: kase.id });
    await c.actions.launch({ actionType: 'ticket', caseId: kase.id });
    const [second, first, created] = await c.webhooks.deliveries(sub.id);
    expect([created!.status, first!.nextAttemptAt, second!.nextAttemptAt]).toEqual(['delivered', new Date(T0).toISOString(), null]);
    expect(await c.webhooks.retry(sub.id, second!.id as string)).toMatchObject({ status: 'pending', nextAttemptAt: null });
    expect(await c.webhooks.retry(sub.id, created!.id as string)).toMatchObject({
      status: 'pending',
      nextAttemptAt: new Date(T0).toISOString(),
    });
    expect(await c.webhookWorker.tick()).toBe(2);
    const seqs = rx.received.map((r) => (JSON.parse(r.body) as { data: { sequence: number } }).data.sequence);
    expect(seqs.slice(0, 1)).toEqual([1]);
    expect(seqs.slice(1).sort()).toEqual([1, 2]);
    expect((await c.webhooks.deliveries(sub.id))[0]).toMatchObject({ status: 'pending', nextAttemptAt: null });
  });

  it('the migration to chain heads leaves a due time only on the oldest pending delivery of each chain', async () => {
    const clock = new FakeClock(T0);
    const { c, sql } = await open(store, clock);
    const sub = await c.webhooks.create({ url: 'https://hooks.example.com/x', events: ['case.*'] });
    const cases = [(await c.cases.createCase({})).case, (await c.cases.createCase({})).case];
    for (const k of cases) await c.cases.closeCase(k.id);
    // As the outbox was before: every pending delivery due, the indexes of migration 008, 012 not applied.
    await sql(`UPDATE webhook_deliveries SET due_at = ${T0}`);
    await sql('DROP INDEX webhook_deliveries_due');
    await sql('DROP INDEX webhook_deliveries_chain');
    await sql(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending'`);
    await sql(`CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (subscription_id, ordering_key, ord) WHERE status = 'pending'`);
    await sql('DELETE FROM callout_migrations WHERE version = 12');
    await c.store.migrate();
    const due = (await c.webhooks.deliveries(sub.id)).map((d) => [d.eventType, d.nextAttemptAt]);
    expect(due).toEqual([
      ['case.closed', null],
      ['case.closed', null],
      ['case.created', new Date(T0).toISOString()],
      ['case.created', new Date(T0).toISOString()],
    ]);
  });

  it.runIf(store === 'sqlite')('the rebuild of the outbox without AUTOINCREMENT (014) keeps every delivery and its attempts', async () => {
    const clock = new FakeClock(T0);
    const { c, sql } = await open(store, clock);
    const rx = await receiver();
    rx.answer = () => ({ status: 500 });
    const sub = await c.webhooks.create({ url: rx.url, events: ['case.*'] });
    for (let i = 0; i < 3; i++) await c.cases.createCase({});
    expect(await c.webhookWorker.tick()).toBe(3);
    const before = await c.webhooks.deliveries(sub.id);
    expect(before.map((d) => (d.attempts as unknown[]).length)).toEqual([1, 1, 1]);
    await sql('DELETE FROM callout_migrations WHERE version = 14');
    await c.store.migrate();
    expect(await c.webhooks.deliveries(sub.id)).toEqual(before);
    expect(await sql("SELECT sql FROM sqlite_master WHERE name = 'webhook_deliveries'")).toEqual([
      { sql: expect.not.stringContaining('AUTOINCREMENT') },
    ]);
    // New deliveries still come after the old ones.
    await c.cases.createCase({});
    expect((await c.webhooks.deliveries(sub.id)).map((d) => d.id)).toEqual([expect.any(String), ...before.map((d) => d.id)]);
  });
});
