// A retry sent with an Idempotency-Key is safe to repeat: ten at once, or one repeated after its answer
// was lost, retry the action once (one more request to the external system), each answered with the
// action; the same key with another body is a 409; another person's same key is their own. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { postgresNodes } from '../helpers/store-harnesses.ts';

const quiet = createLogger({ level: 'silent' });

for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('s47retrykey');
    const secretKey = randomBytes(32).toString('hex');
    let h: Harness;
    const operators: Record<string, Record<string, string>> = {};
    beforeAll(async () => {
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      h = await startHarness(onPostgres ? { callout: { store, secretKey } } : {});
      await connector(h);
      // Refused at once (400): To Do / Request Rejected, and a person's retry is sent and refused again, fast.
      await actionType(h, {
        name: 'refused',
        path: '/status/400',
        fields: { A: { type: 'string', required: false } },
        body: { format: 'json', template: '{"a": "{{ A }}"}' },
        retry: { maxRetries: 0 },
      });
      for (const name of ['olga', 'max']) {
        await h.api('POST', '/v1/users', { name });
        const key = (await h.api('POST', '/v1/api-keys', { name, roles: ['operator'], user: name })).body.key;
        operators[name] = { authorization: `Bearer ${key}` };
      }
    });
    afterAll(async () => {
      await h?.close();
      if (onPostgres) await dropSchema(schema);
    });

    const failed = async (): Promise<string> => {
      const a = await launch(h, 'refused', { A: 'a' });
      await h.waitFor(a.id, (x) => x.state === 'todo');
      return a.id;
    };
    const retry = (id: string, key: string | undefined, body: unknown = undefined, who = 'olga') =>
      h.api('POST', `/v1/actions/${id}/retry`, body, { ...operators[who]!, ...(key === undefined ? {} : { 'idempotency-key': key }) });
    const retries = async (id: string): Promise<number> =>
      (await h.api('GET', `/v1/actions/${id}/timeline?kind=retry_requested&limit=1000`)).body.items.length;

    it('ten retries at once with one key retry the action once', async () => {
      const id = await failed();
      const answers = await Promise.all(Array.from({ length: 10 }, () => retry(id, 'click-1')));
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      for (const r of answers) expect(r.body.id).toBe(id);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 1);
      expect(await retries(id)).toBe(1);
      // Once it has failed again, the same key is still a repeat: nothing is sent.
      const again = await retry(id, 'click-1');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id, state: 'todo', retry: { count: 1 } });
      expect(await retries(id)).toBe(1);
      // A new key is a new retry.
      expect((await retry(id, 'click-2')).status).toBe(200);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 2);
      expect(await retries(id)).toBe(2);
      // Kept hashed and not shown: the timeline is read by every role, the key was the caller's.
      const entries = JSON.stringify((await h.api('GET', `/v1/actions/${id}/timeline?kind=retry_requested`)).body.items);
      expect(entries).not.toContain('click-1');
      expect(entries).not.toContain('requestKey');
      expect(entries).not.toContain('requestHash');
    });

    it('the same key with another body is refused and changes nothing', async () => {
      const id = await failed();
      expect((await retry(id, 'fix-1', { input: { A: 'b' } })).status).toBe(200);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 1);
      const r = await retry(id, 'fix-1', { input: { A: 'c' } });
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatch(/Idempotency-Key/);
      const a = (await h.api('GET', `/v1/actions/${id}`)).body;
      expect(a).toMatchObject({ input: { A: 'b' }, retry: { count: 1 } });
      // The same body again is the repeat.
      expect((await retry(id, 'fix-1', { input: { A: 'b' } })).status).toBe(200);
      expect(await retries(id)).toBe(1);
    });

    it("another person's same key is their own retry", async () => {
      const id = await failed();
      expect((await retry(id, 'shared', undefined, 'olga')).status).toBe(200);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 1);
      expect((await retry(id, 'shared', undefined, 'max')).status).toBe(200);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 2);
      expect(await retries(id)).toBe(2);
    });

    it("a key is still known after another person's 60 retries since: the action as it is, nothing sent again", async () => {
      const id = await failed();
      expect((await retry(id, 'before-max')).status).toBe(200);
      await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === 1);
      for (let n = 2; n <= 61; n++) {
        expect((await retry(id, undefined, undefined, 'max')).status).toBe(200);
        await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === n);
      }
      const again = await retry(id, 'before-max');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id, state: 'todo', retry: { count: 61 } });
      expect(await retries(id)).toBe(61);
      // Olga's retry (with a key) reads as max's (without): no empty `data` where the key was taken out.
      const items = (await h.api('GET', `/v1/actions/${id}/timeline?kind=retry_requested&limit=1000`)).body.items as object[];
      expect(Object.keys(items[0]!).sort()).toEqual(Object.keys(items[1]!).sort());
      expect(items[0]).not.toHaveProperty('data');
    });

    it('a bad key is refused by name, and changes nothing', async () => {
      const id = await failed();
      const r = await retry(id, 'x'.repeat(201));
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(await retries(id)).toBe(0);
    });
  });

describe('two nodes on one PostgreSQL database', () => {
  let n: { nodes: Harness[]; close(): Promise<void> };
  let headers: Record<string, string>;
  beforeAll(async () => {
    n = await postgresNodes(2);
    const [a] = n.nodes;
    await connector(a!);
    await actionType(a!, { name: 'refused', path: '/status/400', retry: { maxRetries: 0 } });
    await a!.api('POST', '/v1/users', { name: 'olga' });
    headers = {
      authorization: `Bearer ${(await a!.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' })).body.key}`,
    };
  });
  afterAll(async () => n?.close());

  it('ten retries with one key, half to each node, retry the action once and are each answered 200', async () => {
    const [a, b] = n.nodes as [Harness, Harness];
    for (let round = 0; round < 5; round++) {
      const x = await launch(a, 'refused', {});
      await a.waitFor(x.id, (v) => v.state === 'todo');
      const key = { ...headers, 'idempotency-key': `round-${round}` };
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).api('POST', `/v1/actions/${x.id}/retry`, undefined, key)),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      await a.waitFor(x.id, (v) => v.state === 'todo' && v.retry.count >= 1);
      expect((await a.api('GET', `/v1/actions/${x.id}/timeline?kind=retry_requested`)).body.items).toHaveLength(1);
      expect((await a.api('GET', `/v1/actions/${x.id}`)).body.retry.count).toBe(1);
    }
  });
});
