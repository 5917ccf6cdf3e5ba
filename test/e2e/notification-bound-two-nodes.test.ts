// The notification bound on one PostgreSQL shared by two nodes: two transactions that notify the
// same users, in another order (each node's batch lists them as its writes came), trim those users'
// notifications side by side without deadlocking (which would fail one node's whole group commit).

import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { boundNotifications } from '../../src/store/postgres/list-notifications.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const schema = freshSchema('notifbound2');
const KEEP = 10;
let store: PostgresStore;
const clients: pg.Client[] = [];

beforeAll(async () => {
  store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
  await store.migrate();
  for (let i = 0; i < 2; i++) {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(`SET search_path TO ${schema}`);
    clients.push(c);
  }
});
afterAll(async () => {
  for (const c of clients) await c.end();
  await store?.close();
  await dropSchema(schema);
});

it('two transactions trimming the same users in another order both commit', async () => {
  const [a, b] = clients as [pg.Client, pg.Client];
  for (let round = 0; round < 5; round++) {
    await a.query('DELETE FROM notifications');
    for (const user of ['carol', 'dave'])
      await a.query(
        `INSERT INTO notifications (user_name, kind, message, at, read_at) SELECT $1, 'action.escalated', 'x', g, g FROM generate_series(1, $2) g`,
        [user, 2 * KEEP],
      );
    await a.query('BEGIN');
    await b.query('BEGIN');
    const trims = [
      boundNotifications(a as unknown as pg.PoolClient, ['carol', 'dave'], KEEP).then(() => a.query('COMMIT')),
      boundNotifications(b as unknown as pg.PoolClient, ['dave', 'carol'], KEEP).then(() => b.query('COMMIT')),
    ];
    const outcomes = await Promise.allSettled(trims);
    for (const c of clients) await c.query('ROLLBACK').catch(() => undefined);
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(['ok', 'ok']);
  }
});
