// PostgreSQL: a commit whose answer is lost on the way back. A TCP relay on loopback stands between
// the store and the real server and drops the connection once the server has answered the statement
// that commits: the server did commit, the store cannot know, and says so (OutcomeUnknownError), so
// the engine does not write the same outcome again (test/engine/outcome-unknown.test.ts).

import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { isOutcomeUnknown } from '../../src/store/failures.ts';
import { ConflictError } from '../../src/errors.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { config, launched, quiet, write } from './stores.ts';

/** Relays to the server; `loseReplyTo(text)` drops the client's connection instead of relaying the answer to the next message holding `text`. */
class LossyRelay {
  private server!: Server;
  private armed: string | null = null;
  port = 0;
  dropped = 0;

  async start(target: URL): Promise<void> {
    this.server = createServer((client: Socket) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      let losing = false;
      client.on('data', (d) => {
        if (this.armed !== null && d.includes(this.armed)) {
          this.armed = null;
          losing = true;
        }
        upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!losing) return void client.write(d);
        // The server has answered (and committed): the answer never arrives.
        this.dropped++;
        client.destroy();
        upstream.destroy();
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  loseReplyTo(text: string): void {
    this.armed = text;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const relay = new LossyRelay();
const schema = freshSchema('lostcommit');
let store: PostgresStore;
let direct: PostgresStore;

beforeAll(async () => {
  const target = new URL(TEST_DATABASE_URL);
  await relay.start(target);
  const via = new URL(TEST_DATABASE_URL);
  via.hostname = '127.0.0.1';
  via.port = String(relay.port);
  store = new PostgresStore({ connectionString: via.toString(), schema, poolSize: 2, logger: quiet });
  direct = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2, logger: quiet });
  await direct.migrate();
});
afterAll(async () => {
  await store?.close();
  await direct?.close();
  await relay.close();
  await dropSchema(schema);
});

it('an outcome written in one statement whose answer is lost: outcome unknown, and it was applied', async () => {
  const a = launched();
  const b = launched();
  await store.insertActions([a, b]);
  relay.loseReplyTo('callout_write_one_statement');
  const writes = [a, b].map((x) => write(x.action, { phase: 'retry_scheduled', attempts: 1 }));
  const e = await store.writeActions(writes).catch((x: unknown) => x);
  expect(relay.dropped).toBe(1);
  expect(isOutcomeUnknown(e)).toBe(true);
  expect((e as Error).message).toMatch(/lost while a commit was under way.*may or may not have been applied/);
  // Written: the same writes again would each conflict with themselves.
  for (const x of [a, b]) expect((await direct.getAction(x.action.id))?.attempts).toBe(1);
  // The store goes on, on a fresh connection.
  expect((await store.getAction(a.action.id))?.version).toBe(a.action.version + 1);
});

it('a transaction whose COMMIT answer is lost: outcome unknown; a refusal by the server is still the refusal', async () => {
  relay.loseReplyTo('COMMIT');
  const crm = config({ name: 'crm-lost' });
  const e = await store.writeConfigs([{ kind: 'connector', row: crm, expectedRevision: null }]).catch((x: unknown) => x);
  expect(relay.dropped).toBe(2);
  expect(isOutcomeUnknown(e)).toBe(true);
  expect((await direct.getConfig('connector', 'crm-lost'))?.id).toBe(crm.id);
  // Refused by the server, with the connection fine: known not written, and reported as it is.
  const again = await store
    .writeConfigs([{ kind: 'connector', row: config({ name: 'crm-lost' }), expectedRevision: null }])
    .catch((x: unknown) => x);
  expect(again).toBeInstanceOf(ConflictError);
  expect(isOutcomeUnknown(again)).toBe(false);
});
