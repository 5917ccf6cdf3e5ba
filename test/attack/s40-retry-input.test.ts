// Attack on the input correction sent with a retry (POST /v1/actions/{id}/retry with `input`): hostile
// values, corrections that together outgrow a launch's limit, roles, and two operators correcting the
// same action at once on two nodes of one PostgreSQL database. On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const quiet = createLogger({ level: 'silent' });

for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('s40retry');
    const secretKey = randomBytes(32).toString('hex');
    const pgStore = (): PostgresStore => new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
    let h: Harness;
    let operator: Record<string, string>;
    beforeAll(async () => {
      h = await startHarness(onPostgres ? { callout: { store: pgStore(), secretKey } } : {});
      await connector(h);
      // Always refused (400): To Do / Request Rejected, retryable by a person again and again (no circuit opens).
      await actionType(h, {
        name: 'wide',
        path: '/status/400',
        fields: { A: { type: 'string', required: false }, B: { type: 'string', required: false }, C: { type: 'string', required: false } },
        body: { format: 'json', template: '{"a": "{{ A }}"}' },
        retry: { maxRetries: 0 },
      });
      await h.api('POST', '/v1/users', { name: 'olga' });
      operator = {
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' })).body.key}`,
      };
    });
    afterAll(async () => {
      await h?.close();
      if (onPostgres) await dropSchema(schema);
    });

    const failed = async (input: Record<string, unknown> = { A: 'a' }): Promise<string> => {
      const a = await launch(h, 'wide', input);
      await h.waitFor(a.id, (x) => x.state === 'todo');
      return a.id;
    };
    const retry = (id: string, body?: unknown, headers = operator) => h.api('POST', `/v1/actions/${id}/retry`, body, headers);
    const settle = (id: string, count: number) => h.waitFor(id, (x) => x.state === 'todo' && x.retry.count === count);

    it('corrections that each fit cannot together grow the input past a launch’s 256 KB', async () => {
      const id = await failed();
      const big = 'x'.repeat(200 * 1024);
      expect((await retry(id, { input: { B: big } })).status).toBe(200);
      await settle(id, 1);
      // A launch with this input would be refused (422): so is the correction that would make it.
      expect((await h.api('POST', '/v1/actions', { actionType: 'wide', input: { A: 'a', B: big, C: big } })).status).toBe(422);
      const r = await retry(id, { input: { C: big } });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([expect.objectContaining({ field: 'input', message: expect.stringContaining('256 KB') })]);
      const after = (await h.api('GET', `/v1/actions/${id}`)).body;
      expect(Object.keys(after.input).sort()).toEqual(['A', 'B']);
      expect(after.retry.count).toBe(1);
    });

    it('a hostile correction (__proto__, NUL, SQL-ish text, unicode) is a field or a clear refusal, never a 500', async () => {
      const id = await failed();
      // JSON.parse keeps __proto__ as a key: Fastify refuses it, or the fields do; nothing changes.
      const proto = await h.api('POST', `/v1/actions/${id}/retry`, '{"input": {"__proto__": {"polluted": 1}}}', operator);
      expect([400, 422]).toContain(proto.status);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const text = `x'); DROP TABLE actions; --\u0000\u202e\ud83d\ude00`;
      const r = await retry(id, { input: { B: text } });
      expect(r.status).toBe(200);
      const stored = (await h.api('GET', `/v1/actions/${id}`)).body.input.B as string;
      // PostgreSQL cannot keep NUL: it becomes U+FFFD there (storable-text.ts); the rest is kept as given.
      expect(stored).toBe(onPostgres ? text.replace('\u0000', '\uFFFD') : text);
      await settle(id, 1);
      // The next correction compares with the input as stored: no spurious conflict after a NUL.
      expect((await retry(id, { input: { B: 'plain' } })).status).toBe(200);
    });

    it('only operators (and admins) correct: a builder, an integration and a scraper are refused, changing nothing', async () => {
      const id = await failed();
      for (const role of ['builder', 'integration', 'metrics']) {
        const key = (await h.api('POST', '/v1/api-keys', { name: `k-${role}`, roles: [role] })).body.key as string;
        const r = await retry(id, { input: { A: role } }, { authorization: `Bearer ${key}` });
        expect(r.status, role).toBe(403);
      }
      expect((await h.api('GET', `/v1/actions/${id}`)).body.input).toEqual({ A: 'a' });
    });

    it('two operators correcting the same action at once: each applied correction is audited against what it replaced', async () => {
      // A second node on the same database (PostgreSQL), or the same node twice (SQLite).
      const other = onPostgres ? await startHarness({ callout: { store: pgStore(), secretKey }, start: false }) : h;
      try {
        for (let round = 0; round < 3; round++) {
          const id = await failed({ A: 'a0' });
          const rs = await Promise.all([
            other.api('POST', `/v1/actions/${id}/retry`, { input: { A: 'one', B: 'one' } }, operator),
            retry(id, { input: { A: 'two', C: 'two' } }),
          ]);
          const ok = rs.filter((r) => r.status === 200);
          for (const r of rs) expect([200, 409]).toContain(r.status);
          expect(ok.length).toBeGreaterThan(0);
          await h.waitFor(id, (x) => x.state === 'todo' && x.retry.count >= 1);
          const entries = (await h.api('GET', `/v1/actions/${id}/timeline?limit=200`)).body.items as Array<{
            kind: string;
            data: { before: Record<string, unknown> };
          }>;
          const changes = entries.filter((e) => e.kind === 'input_changed');
          expect(changes).toHaveLength(ok.length);
          // The first correction replaced the launch's input; a second one (read after it) replaced the first.
          expect(changes[0]!.data.before).toEqual({ A: 'a0' });
          const final = (await h.api('GET', `/v1/actions/${id}`)).body.input;
          if (ok.length === 1)
            expect([
              { A: 'one', B: 'one' },
              { A: 'two', C: 'two' },
            ]).toContainEqual(final);
          // Both applied: the second was read after the first, and its earlier values are the first's.
          else expect(changes[1]!.data.before.A).toMatch(/^(one|two)$/);
        }
      } finally {
        if (other !== h) await other.close();
      }
    });
  });
