// Edit the input, then retry (the UI bar's "edit input then retry"): an operator corrects what was
// wrong in an action's input as part of its retry (`POST /v1/actions/{id}/retry` with `input`). The
// correction is checked against the action type's fields as a launch is, written with the retry in
// one write, audited on the timeline with the earlier values, and sent. An action that failed its
// fields at send time (To Do, Invalid Input) can now be finished this way. Bad input changes nothing.
// On both stores.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/thread.ts';
import { createLogger } from '../../src/logger.ts';

const options = { start: false, mock: { keepBodies: true } };
const backends: Array<{ name: string; open: () => Promise<Harness> }> = [
  ...storeHarnesses.map((b) => ({ name: b.name, open: () => b.open(options) })),
  {
    // The store's SQLite work on its own thread: the correction crosses to it inside the write's plan.
    name: 'SQLite on a thread',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'callout-retry-thread-'));
      const store = openThreadedSqliteStore({
        file: join(dir, 'callout.db'),
        synchronous: 'normal',
        logger: createLogger({ level: 'silent' }),
      });
      const h = await startHarness({ ...options, callout: { store, secretKey: randomBytes(32).toString('hex') } });
      return { ...h, close: async () => (await h.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
];

interface Entry {
  kind: string;
  actor: string;
  message: string;
  data?: Record<string, unknown>;
}

for (const backend of backends)
  describe(backend.name, () => {
    let h: Harness;
    let operator: string;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await h.api('POST', '/v1/users', { name: 'olga' });
      operator = (await h.api('POST', '/v1/api-keys', { name: 'olga', roles: ['operator'], user: 'olga' })).body.key;
    });
    afterAll(async () => h?.close());
    const timeline = async (id: string): Promise<Entry[]> => (await h.api('GET', `/v1/actions/${id}/timeline?limit=200`)).body.items;
    const retry = (id: string, body?: unknown) => h.api('POST', `/v1/actions/${id}/retry`, body, { authorization: `Bearer ${operator}` });

    it('a rejected action is retried with its input corrected; bad corrections change nothing', async () => {
      await actionType(h, {
        name: 'desk',
        path: '/status/{{ Code }}',
        fields: { Code: { type: 'integer' }, Title: { type: 'string' }, Note: { type: 'string', required: false } },
        body: { format: 'json', template: '{"title": "{{ Title }}", "note": "{{ Note }}"}' },
        retry: { maxRetries: 0 },
      });
      // Launched before the engine starts: the second type's new required field fails it at send time.
      await actionType(h, {
        name: 'grows',
        path: '/status/200',
        fields: { Old: { required: false } },
        body: { format: 'json', template: '{"ref": "x"}' },
      });
      const grown = await launch(h, 'grows', { Old: 'o' });
      expect(
        (
          await h.api('PATCH', '/v1/action-types/grows', {
            fields: { Ref: { type: 'string' } },
            body: { format: 'json', template: '{"ref": "{{ Ref }}"}' },
          })
        ).status,
      ).toBe(200);
      h.callout.start();

      const a = await launch(h, 'desk', { Code: 400, Title: 'Laptpo', Note: 'n1' });
      const rejected = await h.waitFor(a.id, (x) => x.state !== 'waiting');
      expect(rejected).toMatchObject({ state: 'todo', reason: 'request_rejected' });
      const entriesBefore = (await timeline(a.id)).length;

      // Each refused correction names its field and leaves the action as it was.
      for (const [body, field] of [
        [{ input: { Code: 'abc' } }, 'input.Code'],
        [{ input: { Title: null } }, 'input.Title'],
        [{ input: { Title: 'x'.repeat(300 * 1024) } }, 'input'],
        [{ input: 'not an object' }, 'input'],
        [{ input: {}, extra: 1 }, 'extra'],
      ] as const) {
        const r = await retry(a.id, body);
        expect([400, 422], JSON.stringify(body).slice(0, 80)).toContain(r.status);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(JSON.stringify(r.body)).toContain(field.replace(/^input\./, ''));
      }
      const unchanged = (await h.api('GET', `/v1/actions/${a.id}`)).body;
      expect(unchanged).toMatchObject({ state: 'todo', reason: 'request_rejected', input: { Code: 400, Title: 'Laptpo', Note: 'n1' } });
      expect(unchanged.updatedAt).toBe(rejected.updatedAt);
      expect(await timeline(a.id)).toHaveLength(entriesBefore);

      // The correction: two fields changed, one removed (null), one left alone.
      const r = await retry(a.id, { input: { Code: 200, Title: 'Laptop', Note: null } });
      expect(r.status).toBe(200);
      expect(r.body.input).toEqual({ Code: 200, Title: 'Laptop' });
      const done = await h.waitFor(a.id, (x) => x.state === 'closed');
      expect(done).toMatchObject({ resolution: 'done_successfully', input: { Code: 200, Title: 'Laptop' } });
      const sent = h.mock.log.filter((e) => e.key === a.id);
      expect(sent.map((e) => [e.path, e.status, e.body])).toEqual([
        ['/status/400', 400, { title: 'Laptpo', note: 'n1' }],
        ['/status/200', 200, { title: 'Laptop', note: null }],
      ]);
      const entries = await timeline(a.id);
      const corrected = entries.findIndex((e) => e.kind === 'input_changed');
      expect(entries[corrected]).toMatchObject({
        actor: 'user:olga',
        message: 'Input corrected by olga: Code, Note, Title',
        data: { fields: ['Code', 'Note', 'Title'], before: { Code: 400, Title: 'Laptpo', Note: 'n1' } },
      });
      expect(entries[corrected + 1]).toMatchObject({ kind: 'retry_requested', actor: 'user:olga' });

      // Closed Done Successfully: nothing to retry, so nothing to correct either.
      const again = await retry(a.id, { input: { Title: 'Other' } });
      expect(again.status).toBe(409);
      expect((await h.api('GET', `/v1/actions/${a.id}`)).body.input).toEqual({ Code: 200, Title: 'Laptop' });

      // To Do, Invalid Input: retried as it is, it is refused by the field it lacks; given it, it is sent.
      const invalid = await h.waitFor(grown.id, (x) => x.state !== 'waiting');
      expect(invalid).toMatchObject({ state: 'todo', reason: 'invalid_input' });
      const plain = await retry(grown.id);
      expect(plain.status).toBe(422);
      expect(plain.body.errors).toEqual([expect.objectContaining({ field: 'input.Ref' })]);
      expect((await h.api('GET', `/v1/actions/${grown.id}`)).body).toMatchObject({ state: 'todo', reason: 'invalid_input' });
      // Old, a field the type no longer has, is kept as it was and not sent (nor refused); a new name is.
      expect((await retry(grown.id, { input: { Ref: 'r-7', Typo: 1 } })).body.errors).toEqual([
        expect.objectContaining({ field: 'input.Typo' }),
      ]);
      const fixed = await retry(grown.id, { input: { Ref: 'r-7' } });
      expect(fixed.status).toBe(200);
      expect(fixed.body.input).toEqual({ Old: 'o', Ref: 'r-7' });
      await h.waitFor(grown.id, (x) => x.state === 'closed' && x.resolution === 'done_successfully');
      expect(h.mock.log.filter((e) => e.key === grown.id).map((e) => e.body)).toEqual([{ ref: 'r-7' }]);
    });

    it('a plain retry is unchanged, and a correction that changes nothing adds no entry', async () => {
      const a = await launch(h, 'desk', { Code: 503, Title: 'T' });
      await h.waitFor(a.id, (x) => x.state === 'closed');
      expect((await retry(a.id)).status).toBe(200);
      await h.waitFor(a.id, (x) => x.state === 'closed' && x.retry.count === 1);
      expect((await retry(a.id, { input: { Code: 503 } })).status).toBe(200);
      await h.waitFor(a.id, (x) => x.state === 'closed' && x.retry.count === 2);
      expect((await timeline(a.id)).filter((e) => e.kind === 'input_changed')).toEqual([]);
      // An integration key retries nothing, corrected or not.
      const integration = (await h.api('POST', '/v1/api-keys', { name: 'sys', roles: ['integration'] })).body.key;
      expect(
        (await h.api('POST', `/v1/actions/${a.id}/retry`, { input: { Code: 200 } }, { authorization: `Bearer ${integration}` })).status,
      ).toBe(403);
    });
  });
