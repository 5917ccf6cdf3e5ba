// A bulk replay acts on what its preview showed, over HTTP on a real SQLite file and on PostgreSQL: the
// dry run freezes the matching ids as a selection, and the run given it touches those only (an action
// that started matching after the preview is left alone; one that stopped matching is skipped, saying
// why), once, for the operator who previewed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('replaysel');
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(
        onPostgres
          ? {
              callout: {
                store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) }),
                secretKey: randomBytes(32).toString('hex'),
              },
            }
          : {},
      );
      await connector(h, {});
      for (const name of ['first', 'second', 'third'])
        await actionType(h, { name, path: '/reject', fields: { Ref: {} }, retry: { maxRetries: 0 } });
    });
    afterAll(async () => {
      await h?.close();
      if (onPostgres) await dropSchema(schema);
    });

    const key = async (name: string, roles: string[]): Promise<Record<string, string>> => ({
      authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string}`,
    });
    const todo = async (type: string): Promise<string> => {
      const id = (await launch(h, type, { Ref: 'r' })).id;
      await h.waitFor(id, (a) => a.state === 'todo');
      return id;
    };
    const retries = async (id: string): Promise<number> =>
      (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items.filter((e: { kind: string }) => e.kind === 'retry_requested').length;

    it('the run acts on the previewed actions only: a newcomer is not touched, one that changed is skipped with why', async () => {
      const operator = await key('sel-operator', ['operator']);
      const [kept, changed] = [await todo('first'), await todo('first')];
      const body = { filter: { actionType: 'first', state: 'todo' }, operation: 'close', resolution: 'done_successfully' };
      const preview = await h.api('POST', '/v1/bulk-replays', { ...body, dryRun: true }, operator);
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({
        count: 2,
        selection: { id: expect.any(String), count: 2, previewedAt: expect.any(String), expiresAt: expect.any(String) },
      });
      expect(Date.parse(preview.body.selection.expiresAt) - Date.parse(preview.body.selection.previewedAt)).toBe(60 * 60_000);

      // Between preview and confirm: a new action starts matching, and one of the previewed is closed by hand.
      const newcomer = await todo('first');
      expect((await h.api('POST', `/v1/actions/${changed}/complete`, { resolution: 'not_done_successfully' })).status).toBe(200);

      const run = await h.api('POST', '/v1/bulk-replays', { ...body, selection: preview.body.selection.id }, operator);
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ dryRun: false, count: 2, done: 1, skipped: 1, remaining: 0 });
      expect(run.body.items).toEqual(
        expect.arrayContaining([
          { id: kept, status: 'done' },
          { id: changed, status: 'skipped', reason: expect.stringMatching(/no longer matches the filter/) },
        ]),
      );
      expect(run.body.items).toHaveLength(2);
      expect((await h.api('GET', `/v1/actions/${newcomer}`)).body.state).toBe('todo');
      expect((await h.api('GET', `/v1/actions/${changed}`)).body.resolution).toBe('not_done_successfully');
      // The kept run names its selection.
      expect((await h.api('GET', `/v1/bulk-replays/${run.body.id}`, undefined, operator)).body.request.selection).toBe(
        preview.body.selection.id,
      );

      // Once: the same selection again is refused, and nothing more is closed.
      const again = await h.api('POST', '/v1/bulk-replays', { ...body, selection: preview.body.selection.id }, operator);
      expect(again.status).toBe(409);
      expect(again.body.detail).toMatch(/already run/);
      expect((await h.api('GET', `/v1/actions/${newcomer}`)).body.state).toBe('todo');

      // Without a selection the run is as before: the filter now, so the newcomer is closed.
      const plain = await h.api('POST', '/v1/bulk-replays', body, operator);
      expect(plain.body.items).toEqual([{ id: newcomer, status: 'done' }]);
    });

    it('a repeat with its Idempotency-Key answers the same run; another key is refused; retries are not sent twice', async () => {
      const a = await todo('second');
      const body = { filter: { actionType: 'second', state: 'todo' }, operation: 'retry' };
      const preview = await h.api('POST', '/v1/bulk-replays', { ...body, dryRun: true });
      const withSel = { ...body, selection: preview.body.selection.id };
      const run = await h.api('POST', '/v1/bulk-replays', withSel, { 'idempotency-key': 'sel-k1' });
      expect(run.body).toMatchObject({ done: 1, items: [{ id: a, status: 'done' }] });
      const same = await h.api('POST', '/v1/bulk-replays', withSel, { 'idempotency-key': 'sel-k1' });
      expect([same.status, same.body.id]).toEqual([200, run.body.id]);
      const other = await h.api('POST', '/v1/bulk-replays', withSel, { 'idempotency-key': 'sel-k2' });
      expect(other.status).toBe(409);
      expect(other.body.detail).toMatch(/already run/);
      expect(await retries(a)).toBe(1);
      // The refused key was freed: it may be used for another request.
      const next = await h.api('POST', '/v1/bulk-replays', { ...body, dryRun: true });
      const fresh = await h.api(
        'POST',
        '/v1/bulk-replays',
        { ...body, selection: next.body.selection.id },
        { 'idempotency-key': 'sel-k2' },
      );
      expect(fresh.status).toBe(200);
    });

    it('another operator’s selection does not exist for them; a selection is for its own filter and operation', async () => {
      const a = await todo('third');
      const owner = await key('sel-owner', ['operator']);
      const body = { filter: { actionType: 'third', state: 'todo' }, operation: 'retry' };
      const preview = await h.api('POST', '/v1/bulk-replays', { ...body, dryRun: true }, owner);
      const id = preview.body.selection.id as string;
      const theirs = await h.api('POST', '/v1/bulk-replays', { ...body, selection: id }, await key('sel-other', ['operator']));
      expect(theirs.status).toBe(404);
      const never = await h.api('POST', '/v1/bulk-replays', { ...body, selection: 'no-such-selection' }, owner);
      expect([never.status, never.body.detail]).toEqual([404, theirs.body.detail.replace(id, 'no-such-selection')]);
      // Sent with another filter or operation: bad input naming the field, and the selection is still there.
      const wider = await h.api('POST', '/v1/bulk-replays', { ...body, filter: { state: 'todo' }, selection: id }, owner);
      expect(wider.status).toBe(422);
      expect(wider.body.errors).toEqual([{ field: 'selection', message: expect.stringMatching(/another filter or operation/) }]);
      const onDryRun = await h.api('POST', '/v1/bulk-replays', { ...body, dryRun: true, selection: id }, owner);
      expect(onDryRun.status).toBe(422);
      for (const bad of ['', 'x'.repeat(101), 7])
        expect([400, 422]).toContain((await h.api('POST', '/v1/bulk-replays', { ...body, selection: bad }, owner)).status);
      expect(await retries(a)).toBe(0);
      // Filter keys in another order are the same filter.
      const reordered = { operation: 'retry', filter: { state: 'todo', actionType: 'third' }, selection: id };
      expect((await h.api('POST', '/v1/bulk-replays', reordered, owner)).body).toMatchObject({ done: 1 });
      expect(await retries(a)).toBe(1);
    });
  });
