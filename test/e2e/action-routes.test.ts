// The routes of actions, callbacks, cases and notifications, on both stores: their schemas are the
// validation (exact: an unknown field or query parameter is named and refused, nothing is written),
// and a store that fails to answer is a 500, never "no such action type".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch } from '../helpers/harness.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

const fields = (body: { errors?: Array<{ field: string }> }): string[] => (body.errors ?? []).map((e) => e.field).sort();

for (const backend of storeHarnesses)
  describe(`${backend.name}: action, callback and case routes`, () => {
    let h: StoreHarnessed;
    let waiting: string;
    let token: string;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, {
        name: 'cb',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
        completion: { mode: 'callback' },
      });
      waiting = (await launch(h, 'cb')).id;
      await h.waitFor(waiting, (a) => a.phase === 'awaiting_callback');
      token = h.callout.engine.callbackToken(waiting);
    }, 60_000);
    afterAll(async () => h?.close());

    const count = async (): Promise<number> => (await h.api('GET', '/v1/actions?limit=500')).body.items.length;

    it('a timeline reads a page at a time, oldest or newest first, of one kind or all, `next` leading on to the end; a bad page is a 422', async () => {
      // An action of its own: the others here check their timelines whole.
      const own = (await launch(h, 'cb')).id;
      await h.waitFor(own, (a) => a.phase === 'awaiting_callback');
      const ownToken = h.callout.engine.callbackToken(own);
      for (let i = 0; i < 5; i++)
        expect((await h.api('POST', `/v1/callbacks/${ownToken}/messages`, { message: `note ${i}` })).status).toBe(200);
      const whole = (await h.api('GET', `/v1/actions/${own}/timeline`)).body;
      expect(whole.next).toBeNull();
      expect(whole.items.length).toBeGreaterThan(6);
      const paged: unknown[] = [];
      let after: string | null = null;
      do {
        const page: { items: unknown[]; next: string | null } = (
          await h.api('GET', `/v1/actions/${own}/timeline?limit=2${after === null ? '' : `&after=${after}`}`)
        ).body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        paged.push(...page.items);
        after = page.next;
      } while (after !== null);
      expect(paged).toEqual(whole.items);
      // Newest first, `next` the `before` of the next page: the same entries in the reverse order.
      const newest: unknown[] = [];
      let before: string | null = null;
      do {
        const page: { items: unknown[]; next: string | null } = (
          await h.api('GET', `/v1/actions/${own}/timeline?order=newest&limit=3${before === null ? '' : `&before=${before}`}`)
        ).body;
        newest.push(...page.items);
        before = page.next;
      } while (before !== null);
      expect(newest).toEqual([...whole.items].reverse());
      // One kind: the notes, newest first.
      const notes = (await h.api('GET', `/v1/actions/${own}/timeline?kind=message&order=newest&limit=2`)).body;
      expect(notes.items.map((e: { message: string }) => e.message)).toEqual(['note 4', 'note 3']);
      const older = (await h.api('GET', `/v1/actions/${own}/timeline?kind=message&order=newest&before=${notes.next}`)).body;
      expect(older.items.map((e: { message: string }) => e.message)).toEqual(['note 2', 'note 1', 'note 0']);
      expect(older.next).toBeNull();
      for (const q of [
        'limit=0',
        'limit=1001',
        'after=x',
        'before=x',
        'order=desc',
        'kind=note',
        'after=9223372036854775807',
        'after=1e30',
      ])
        expect((await h.api('GET', `/v1/actions/${own}/timeline?${q}`)).status, q).toBe(422);
    });

    it('a startAt in epoch milliseconds with a fraction is taken to the millisecond on every store (a 500 on PostgreSQL before)', async () => {
      const at = Date.now() + 3_600_000 + 0.5;
      const r = await h.api('POST', '/v1/actions', { actionType: 'cb', input: {}, startAt: at });
      expect(r.status).toBe(201);
      const stored = await h.callout.store.getAction(r.body.id);
      expect(stored?.dueAt).toBe(Math.round(at));
    });

    it('a callback after the action timed out is not applied (409), and goes on its timeline with its data for the person', async () => {
      await actionType(h, {
        name: 'cb-short',
        path: '/callback?never=1',
        body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
        completion: { mode: 'callback', timeout: '300ms' },
      });
      const a = (await launch(h, 'cb-short')).id;
      await h.waitFor(a, (x) => x.state === 'todo' && x.reason === 'timeout');
      const late = await h.api('POST', `/v1/callbacks/${h.callout.engine.callbackToken(a)}`, { outcome: 'success', data: { done: 'yes' } });
      expect(late.status).toBe(409);
      expect(late.body.detail).toMatch(/To Do \(Timeout\).*on its timeline/);
      expect((await h.api('GET', `/v1/actions/${a}`)).body).toMatchObject({ state: 'todo', reason: 'timeout', output: null });
      const tl = (await h.api('GET', `/v1/actions/${a}/timeline`)).body.items;
      expect(tl.at(-1)).toMatchObject({
        actor: 'integration',
        kind: 'message',
        message: 'A success callback arrived after the action became To Do (Timeout); it was not applied; its data: {"done":"yes"}',
      });
    });

    it('a launch with an unknown field or a field of the wrong type is a 422 naming each, and nothing is launched', async () => {
      const before = await count();
      const extra = await h.api('POST', '/v1/actions', { actionType: 'cb', input: {}, priority: 'high' });
      expect(extra.status).toBe(422);
      expect(extra.body.errors).toEqual([{ field: 'priority', message: 'is not a known field' }]);
      const wrong = await h.api('POST', '/v1/actions', { actionType: 7, input: [], caseId: 3, startAt: true });
      expect(wrong.status).toBe(422);
      expect([...new Set(fields(wrong.body))]).toEqual(['actionType', 'caseId', 'input', 'startAt']);
      const missing = await h.api('POST', '/v1/actions', { input: {} });
      expect(missing.body.errors).toEqual([{ field: 'actionType', message: 'is required' }]);
      const noBody = await h.api('POST', '/v1/actions');
      expect(noBody.status).toBe(422);
      expect(await count()).toBe(before);
    });

    it('the list query: limit is an integer 1–500, escalated true or false, words from the lifecycle, no unknown parameter', async () => {
      for (const q of ['limit=0', 'limit=501', 'limit=2.5', 'limit=ten']) {
        const r = await h.api('GET', `/v1/actions?${q}`);
        expect(r.status, q).toBe(422);
        expect(fields(r.body), q).toEqual(['limit']);
      }
      for (const [q, field] of [
        ['escalated=maybe', 'escalated'],
        ['state=open', 'state'],
        ['phase=later', 'phase'],
        ['resolution=meh', 'resolution'],
        ['colour=red', 'colour'],
      ] as const) {
        const r = await h.api('GET', `/v1/actions?${q}`);
        expect(r.status, q).toBe(422);
        expect(fields(r.body), q).toEqual([field]);
      }
      await launch(h, 'cb');
      const page = await h.api('GET', '/v1/actions?limit=1&escalated=false&state=waiting&actionType=cb');
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      expect(page.body.next).toBe(page.body.items[0].id);
      const next = await h.api('GET', `/v1/actions?limit=1&actionType=cb&before=${page.body.next}`);
      expect(next.body.items).toHaveLength(1);
      expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
      // A cursor no page gave is refused, not read as a place to start ('~' sorts after every id).
      for (const bad of ['~', 'zzz', `${page.body.next}x`]) {
        const r = await h.api('GET', `/v1/actions?before=${encodeURIComponent(bad)}`);
        expect(r.status, bad).toBe(422);
        expect(r.body.errors, bad).toEqual([{ field: 'before', message: 'is not an id: pass the `next` of the previous page' }]);
      }
      expect((await h.api('GET', '/v1/actions?escalated=true&actionType=cb')).body.items).toEqual([]);
      const unknown = await h.api('GET', '/v1/actions?actionType=nope');
      expect(unknown.body.errors).toEqual([{ field: 'actionType', message: 'no action type "nope" exists' }]);
    });

    it('a page of large actions ends at about 4 MB of inputs, its `next` leading to the rest: no 125 MB answer', async () => {
      await actionType(h, { name: 'big', path: '/ok', fields: { D: { type: 'json' } } });
      const startAt = new Date(Date.now() + 3_600_000).toISOString();
      const launched: string[] = [];
      for (let i = 0; i < 20; i++) launched.push((await launch(h, 'big', { D: `${i}`.padEnd(240_000, 'x') }, { startAt })).id);
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const r: { status: number; body: any } = await h.api('GET', `/v1/actions?actionType=big&limit=500${next ? `&before=${next}` : ''}`);
        expect(r.status).toBe(200);
        expect(JSON.stringify(r.body).length).toBeLessThan(5 * 1024 * 1024);
        seen.push(...r.body.items.map((a: { id: string }) => a.id));
        next = r.body.next;
        pages++;
      } while (next !== null && pages < 10);
      expect(pages).toBe(2);
      expect(seen).toEqual([...launched].reverse());
    });

    it('a page of large cases ends at about 4 MB of data too', async () => {
      const made: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await h.api('POST', '/v1/cases', { title: `big ${i}`, data: { D: `${i}`.padEnd(240_000, 'y') } });
        expect(r.status, JSON.stringify(r.body).slice(0, 200)).toBe(201);
        made.push(r.body.id);
      }
      const first = await h.api('GET', '/v1/cases?limit=500');
      expect(first.body.items.length).toBeLessThan(20);
      expect(first.body.next).toBe(first.body.items.at(-1).id);
      const second = await h.api('GET', `/v1/cases?limit=500&before=${first.body.next}`);
      expect([...first.body.items, ...second.body.items].map((c: { id: string }) => c.id).slice(0, 20)).toEqual([...made].reverse());
    });

    it('a text/plain body to a JSON route is a 415 saying to send JSON, and launches nothing', async () => {
      const before = await count();
      const r = await h.api('POST', '/v1/actions', 'actionType=cb', { 'content-type': 'text/plain' });
      expect(r.status).toBe(415);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await count()).toBe(before);
    });

    it('callback bodies are exact: an unknown field, a wrong outcome or an empty reference is a 422, and the action is unchanged', async () => {
      const cases: Array<[string, unknown, string[]]> = [
        ['', { outcome: 'success', data: {}, extra: 1 }, ['extra']],
        ['', { outcome: 'done' }, ['outcome']],
        ['', { outcome: 'failure', reason: 5 }, ['reason']],
        ['/acknowledge', { externalReference: '' }, ['externalReference']],
        ['/acknowledge', {}, ['externalReference']],
        ['/messages', { message: '   ' }, ['message']],
        ['/messages', { message: 'hi', at: 'now' }, ['at']],
        ['/heartbeat', { note: 3 }, ['note']],
      ];
      for (const [route, body, expected] of cases) {
        const r = await h.api('POST', `/v1/callbacks/${token}${route}`, body);
        expect(r.status, `${route} ${JSON.stringify(body)}`).toBe(422);
        expect([...new Set(fields(r.body))]).toEqual(expected);
      }
      expect((await h.api('GET', `/v1/actions/${waiting}`)).body).toMatchObject({ phase: 'awaiting_callback', externalReference: null });
      expect((await h.api('GET', `/v1/actions/${waiting}/timeline`)).body.items.map((e: { kind: string }) => e.kind)).toEqual([
        'launched',
        'attempt',
        'accepted',
      ]);
      // A heartbeat without a body is a heartbeat.
      const beat = await h.api('POST', `/v1/callbacks/${token}/heartbeat`);
      expect(beat.status).toBe(200);
      expect(beat.body.phase).toBe('awaiting_callback');
    });

    it('an operator completion names a wrong resolution or note; a case names unknown and wrong fields', async () => {
      const bad = await h.api('POST', `/v1/actions/${waiting}/complete`, { resolution: 'sort_of', note: 1, by: 'me' });
      expect(bad.status).toBe(422);
      expect(fields(bad.body)).toEqual(['by', 'note', 'resolution']);
      expect((await h.api('GET', `/v1/actions/${waiting}`)).body.state).toBe('waiting');
      const kase = await h.api('POST', '/v1/cases', { data: [], owner: 5, title: 7 });
      expect(kase.status).toBe(422);
      expect([...new Set(fields(kase.body))]).toEqual(['data', 'owner', 'title']);
      const good = await h.api('POST', '/v1/cases', { owner: null });
      expect(good.status).toBe(201);
      expect(good.body).toMatchObject({ data: {}, owner: null });
      expect((await h.api('GET', `/v1/cases/${good.body.id}`)).body).toMatchObject({ id: good.body.id, actions: [] });
      expect((await h.api('GET', '/v1/notifications')).body).toEqual({ items: [], next: null });
    });

    it('the OpenAPI document shows the exact shapes', async () => {
      const doc = (await h.api('GET', '/openapi.json')).body;
      const launchBody = doc.paths['/v1/actions'].post.requestBody.content['application/json'].schema;
      expect(launchBody).toMatchObject({ additionalProperties: false, required: ['actionType'] });
      expect(Object.keys(launchBody.properties).sort()).toEqual(['actionType', 'caseId', 'input', 'startAt']);
      const limit = doc.paths['/v1/actions'].get.parameters.find((p: { name: string }) => p.name === 'limit');
      expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500 });
      expect(doc.paths['/v1/notifications'].get).toBeDefined();
    });

    // Last: it takes the action types away from the store for a moment.
    it('when the store cannot look up an action type, a launch and a filtered list are a 500, not "no action type exists"', async () => {
      await h.sql('ALTER TABLE action_types RENAME TO action_types_away');
      try {
        const list = await h.api('GET', '/v1/actions?actionType=not-cached');
        expect(list.status).toBe(500);
        expect(list.body.code).toBe('INTERNAL');
        const launched = await h.api('POST', '/v1/actions', { actionType: 'not-cached', input: {} });
        expect(launched.status).toBe(500);
        await expect(h.callout.actions.listActions({ actionType: 'not-cached' })).rejects.not.toHaveProperty('code', 'VALIDATION_FAILED');
      } finally {
        await h.sql('ALTER TABLE action_types_away RENAME TO action_types');
      }
      const unknown = await h.api('POST', '/v1/actions', { actionType: 'not-cached', input: {} });
      expect(unknown.body.errors).toEqual([{ field: 'actionType', message: 'no action type "not-cached" exists' }]);
    });
  });
