// Bulk replay as a tracked job, over HTTP on a real SQLite file and on PostgreSQL: the preview counts
// the matches per state and reason, shows the requests a retry would send (secrets masked, nothing
// sent, a rendering failure said per action), and a run is kept at GET /v1/bulk-replays/{id}, paged,
// for the operator who ran it and admins only; GET /v1/bulk-replays lists them (an operator's own).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const BEARER = 'secret-token-123';
const HEADER_SECRET = 'hdr-secret-abcdefgh-1234';

for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('replayruns');
    let h: Harness;
    const tickets: string[] = [];
    let grown: string;
    let closed: string;
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
      await connector(h, { headers: { 'X-Api-Key': HEADER_SECRET } });
      await actionType(h, {
        name: 'ticket',
        path: '/reject/{{ Ref }}',
        fields: { Ref: { required: true }, Note: {} },
        body: { format: 'json', template: '{"note": "{{ Note }}", "callbackUrl": "{{ $callbackUrl }}"}' },
        retry: { maxRetries: 0 },
      });
      await actionType(h, { name: 'grows', path: '/reject', fields: { Old: {} }, retry: { maxRetries: 0 } });
      // The note is the connector's bearer token (pasted by mistake): the preview must not show it.
      for (let i = 1; i <= 3; i++) tickets.push((await launch(h, 'ticket', { Ref: `T-${i}`, Note: BEARER })).id);
      grown = (await launch(h, 'grows', { Old: 'o' })).id;
      for (const id of [...tickets, grown]) await h.waitFor(id, (a) => a.state === 'todo');
      closed = tickets.pop()!;
      expect((await h.api('POST', `/v1/actions/${closed}/complete`, { resolution: 'not_done_successfully' })).status).toBe(200);
      // Since launch, `grows` wants a field its action lacks: a retry would be refused as invalid input.
      expect((await h.api('PATCH', '/v1/action-types/grows', { fields: { Old: {}, Ref: { required: true } } })).status).toBe(200);
    });
    afterAll(async () => {
      await h?.close();
      if (onPostgres) await dropSchema(schema);
    });

    const key = async (name: string, roles: string[]): Promise<Record<string, string>> => ({
      authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string}`,
    });

    it('a preview counts every match per state and reason with one grouped count', async () => {
      const r = await h.api('POST', '/v1/bulk-replays', { filter: { connector: 'vendor' }, operation: 'retry', dryRun: true });
      expect(r.status).toBe(200);
      expect(r.body.count).toBe(4);
      expect(r.body.byState).toEqual({ 'todo/request_rejected': 3, 'closed/not_done_successfully': 1 });
      // A close counts To Do only, and renders no requests (it sends none).
      const close = await h.api('POST', '/v1/bulk-replays', {
        filter: { connector: 'vendor' },
        operation: 'close',
        resolution: 'done_successfully',
        dryRun: true,
      });
      expect(close.body.byState).toEqual({ 'todo/request_rejected': 3 });
      expect(close.body.requests).toBeUndefined();
    });

    it('a retry preview shows the exact requests, secrets masked, sends nothing, and says which would fail', async () => {
      const sentBefore = h.mock.requestCount;
      const r = await h.api('POST', '/v1/bulk-replays', {
        filter: { connector: 'vendor', state: 'todo' },
        operation: 'retry',
        dryRun: true,
      });
      expect(r.status).toBe(200);
      expect(h.mock.requestCount).toBe(sentBefore);
      const text = JSON.stringify(r.body);
      for (const secret of [BEARER, HEADER_SECRET]) expect(text).not.toContain(secret);
      expect(r.body.requests).toHaveLength(3);
      const byId = new Map(r.body.requests.map((x: { id: string }) => [x.id, x]));
      const first = byId.get(tickets[0]!) as { request: { method: string; url: string; headers: Record<string, string>; body: string } };
      expect(first.request).toMatchObject({ method: 'POST', url: `${h.mock.url}/reject/T-1` });
      expect(first.request.headers).toMatchObject({
        authorization: '(added from the connector’s authentication)',
        'x-api-key': '[redacted]',
        'idempotency-key': tickets[0],
        'content-type': 'application/json',
      });
      expect(JSON.parse(first.request.body)).toEqual({
        note: '[redacted]',
        callbackUrl: `${h.url}/v1/callbacks/[callback token]`,
      });
      expect(byId.get(grown)).toEqual({ id: grown, error: expect.stringMatching(/invalid input: Ref/) });
    });

    it('a run is kept at its own URL, paged, for its owner and admins; the same run twice is one run', async () => {
      const owner = await key('replay-owner', ['operator']);
      const body = {
        filter: { actionType: 'ticket', state: 'todo' },
        operation: 'close',
        resolution: 'done_successfully',
        note: 'by hand',
      };
      const run = await h.api('POST', '/v1/bulk-replays', body, { ...owner, 'idempotency-key': 'close-tickets' });
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ dryRun: false, done: 2, id: expect.any(String) });
      const again = await h.api('POST', '/v1/bulk-replays', body, { ...owner, 'idempotency-key': 'close-tickets' });
      expect(again.body.id).toBe(run.body.id);

      const page1 = await h.api('GET', `/v1/bulk-replays/${run.body.id}?limit=1`, undefined, owner);
      expect(page1.status).toBe(200);
      expect(page1.body).toMatchObject({
        id: run.body.id,
        operation: 'close',
        status: 'done',
        createdBy: 'key:replay-owner',
        request: body,
        count: 2,
        done: 2,
        skipped: 0,
        remaining: 0,
        error: null,
        finishedAt: expect.any(String),
        nextItem: 1,
      });
      expect(page1.body.items).toEqual([{ n: 1, id: run.body.items[0].id, status: 'done' }]);
      const page2 = await h.api('GET', `/v1/bulk-replays/${run.body.id}?limit=1&afterItem=1`, undefined, owner);
      expect(page2.body.items).toEqual([{ n: 2, id: run.body.items[1].id, status: 'done' }]);
      expect(page2.body.nextItem).toBeNull();
      expect([...page1.body.items, ...page2.body.items].map((i: { id: string }) => i.id).sort()).toEqual([...tickets].sort());

      // An admin reads it; another operator is told it does not exist, as for an id that never was a run.
      expect((await h.api('GET', `/v1/bulk-replays/${run.body.id}`)).body.items).toHaveLength(2);
      const other = await h.api('GET', `/v1/bulk-replays/${run.body.id}`, undefined, await key('replay-other', ['operator']));
      expect(other.status).toBe(404);
      const never = await h.api('GET', '/v1/bulk-replays/0190f5d5-0000-7000-8000-000000000000', undefined, owner);
      expect([never.status, never.body.detail]).toEqual([
        404,
        other.body.detail.replace(run.body.id, '0190f5d5-0000-7000-8000-000000000000'),
      ]);
      expect((await h.api('GET', `/v1/bulk-replays/${run.body.id}`, undefined, await key('replay-builder', ['builder']))).status).toBe(403);
    });

    it('lists runs newest first without items, paged: an operator their own, an admin all or one person’s; a stopped run reads interrupted', async () => {
      const [a, b] = [await key('list-a', ['operator']), await key('list-b', ['operator'])];
      const runBy = async (who: Record<string, string>) => {
        const r = await h.api('POST', '/v1/bulk-replays', { filter: { caseId: 'no-such-case' }, operation: 'retry' }, who);
        expect(r.status).toBe(200);
        return r.body.id as string;
      };
      const a1 = await runBy(a);
      const b1 = await runBy(b);
      const a2 = await runBy(a);
      // A run whose node stopped 11 minutes ago, its row left `running`.
      const stoppedAt = Date.now() - 11 * 60_000;
      const a3 = '0190f5d5-0000-7000-8000-0000000000a3';
      await h.callout.store.insertReplayRun({
        id: a3,
        createdBy: 'key:list-a',
        operation: 'close',
        request: JSON.stringify({ filter: { state: 'todo' }, operation: 'close', resolution: 'done_successfully' }),
        status: 'running',
        count: 40,
        done: 7,
        skipped: 1,
        remaining: 0,
        error: null,
        createdAt: stoppedAt - 60_000,
        updatedAt: stoppedAt,
        finishedAt: null,
      });

      const mine = await h.api('GET', '/v1/bulk-replays', undefined, a);
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((r: { id: string }) => r.id)).toEqual([a2, a1, a3]);
      expect(mine.body.next).toBeNull();
      expect(mine.body.items[0]).toEqual({
        id: a2,
        operation: 'retry',
        status: 'done',
        createdBy: 'key:list-a',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        finishedAt: expect.any(String),
        count: 0,
        done: 0,
        skipped: 0,
        remaining: 0,
        error: null,
        request: { filter: { caseId: 'no-such-case', timeField: 'updatedAt' }, operation: 'retry', max: 10_000 },
      });
      const stopped = mine.body.items[2];
      expect(stopped).toMatchObject({ status: 'interrupted', done: 7, skipped: 1, finishedAt: null });
      expect(stopped.error).toBe(
        `Its node stopped during the run, about ${new Date(stoppedAt).toISOString()}: the actions listed are what it did; preview again for what is left`,
      );
      const alone = await h.api('GET', `/v1/bulk-replays/${a3}`, undefined, a);
      expect([alone.body.status, alone.body.error]).toEqual([stopped.status, stopped.error]);

      // Paged by `before`, the `next` of the page before.
      const p1 = await h.api('GET', '/v1/bulk-replays?limit=2', undefined, a);
      expect([p1.body.items.map((r: { id: string }) => r.id), p1.body.next]).toEqual([[a2, a1], a1]);
      const p2 = await h.api('GET', `/v1/bulk-replays?limit=2&before=${a1}`, undefined, a);
      expect([p2.body.items.map((r: { id: string }) => r.id), p2.body.next]).toEqual([[a3], null]);

      expect((await h.api('GET', '/v1/bulk-replays', undefined, b)).body.items.map((r: { id: string }) => r.id)).toEqual([b1]);
      // Another operator's name gives an operator nothing; an admin sees everyone's, or one person's.
      expect((await h.api('GET', '/v1/bulk-replays?createdBy=key%3Alist-b', undefined, a)).body).toEqual({ items: [], next: null });
      const all = (await h.api('GET', '/v1/bulk-replays?limit=200')).body.items.map((r: { id: string }) => r.id);
      expect(all.filter((id: string) => [a1, a2, a3, b1].includes(id))).toEqual([b1, a2, a1, a3].sort().reverse());
      expect(all.length).toBeGreaterThan(4);
      const ofB = await h.api('GET', '/v1/bulk-replays?createdBy=key%3Alist-b');
      expect(ofB.body.items.map((r: { id: string }) => r.id)).toEqual([b1]);
      expect((await h.api('GET', '/v1/bulk-replays', undefined, await key('list-builder', ['builder']))).status).toBe(403);
    });

    it('refuses a bad list query with a 422 naming the field', async () => {
      const cases: Array<[string, string]> = [
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['limit=x', 'limit'],
        ['limit=1e9', 'limit'],
        ['before=x', 'before'],
        [`before=${'0'.repeat(200)}`, 'before'],
        ["before=' OR 1=1 --", 'before'],
        ['createdBy=', 'createdBy'],
        [`createdBy=${'x'.repeat(201)}`, 'createdBy'],
        ['other=1', 'other'],
      ];
      for (const [q, field] of cases) {
        const r = await h.api('GET', `/v1/bulk-replays?${q}`);
        expect(r.status, q).toBe(422);
        expect(
          r.body.errors.map((e: { field: string }) => e.field),
          q,
        ).toEqual([field]);
      }
    });

    it('refuses hostile paging and ids with 4xx naming the field', async () => {
      const run = await h.api('POST', '/v1/bulk-replays', { filter: { actionType: 'grows' }, operation: 'retry' });
      expect(run.body).toMatchObject({ done: 1, id: expect.any(String) });
      for (const q of ['limit=0', 'limit=10001', 'limit=-1', 'afterItem=x', 'afterItem=1e9', 'other=1']) {
        const r = await h.api('GET', `/v1/bulk-replays/${run.body.id}?${q}`);
        expect([400, 422], q).toContain(r.status);
      }
      expect((await h.api('GET', `/v1/bulk-replays/${run.body.id}?limit=0`)).body.errors).toEqual([
        { field: 'limit', message: 'must be from 1 to 10000' },
      ]);
      expect([400, 422]).toContain((await h.api('GET', `/v1/bulk-replays/${'x'.repeat(300)}`)).status);
      expect((await h.api('GET', `/v1/bulk-replays/${run.body.id}?afterItem=999999999`)).body).toMatchObject({ items: [], nextItem: null });
    });
  });
