// A hostile client and a careless integrator against the routes added last: tasks added to a case,
// the provider's inbound routes of integrated queues, schedules (If-Match, pause/resume), bulk
// replays, webhook subscriptions' retry policies, notifications and notes. Every answer is a 4xx that
// names what is wrong, or the change made once; never a 500, nor a change made twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { PROVIDER_FIELDS, storeHarnesses } from '../helpers/store-harnesses.ts';

const HOSTILE_STRINGS = [
  'x'.repeat(100_000),
  '__proto__',
  'constructor',
  'a\u0000b',
  '\u202e\u200b',
  '\ud800',
  '../../etc/passwd',
  "'; DROP TABLE actions; --",
];
const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE_STRINGS,
  -1,
  1e308,
  -0,
  1.5,
  true,
  null,
  [],
  {},
  { __proto__: null, a: 1 },
  Number.MAX_SAFE_INTEGER + 2,
];

const deep = (n: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: hostile requests to the recent routes`, () => {
    let h: Harness;
    let olga: Record<string, string>;
    let bert: Record<string, string>;
    let integration: Record<string, string>;
    let builder: Record<string, string>;
    const keyOf = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
      const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { authorization: `Bearer ${r.body.key}` };
    };
    /** Every answer is below 500. */
    const no5xx = (r: { status: number; body: unknown }, what: string): void => {
      expect(r.status, `${what}: ${JSON.stringify(r.body).slice(0, 400)}`).toBeLessThan(500);
    };

    beforeAll(async () => {
      h = await backend.open({ mock: { keepBodies: true, callbackDelayMs: 40 } });
      await connector(h, { name: 'provider', baseUrl: h.mock.url });
      await connector(h);
      const type = (name: string, path: string, template: string) =>
        actionType(h, { name, connector: 'provider', path, fields: PROVIDER_FIELDS, body: { format: 'json', template } });
      await type('prv-submit', '/provider/submit', '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}');
      await type('prv-update', '/provider/update', '{"task": "{{ TaskId }}", "note": "{{ Note }}", "ref": "{{ ExternalReference }}"}');
      await type('prv-close', '/provider/close', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
      await type('prv-reject', '/provider/reject', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}", "script": "none"}');
      await actionType(h, { name: 'ok', path: '/ok' });
      await actionType(h, { name: 'broken', path: '/reject', allocation: { queue: 'desk' } });
      for (const name of ['olga', 'bert']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
      expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'bert'], allocation: 'none' })).status).toBe(201);
      const q = await h.api('POST', '/v1/queues', {
        name: 'vendor-desk',
        members: ['olga'],
        integration: {
          connector: 'provider',
          onAssign: 'prv-submit',
          onUpdate: 'prv-update',
          onClose: 'prv-close',
          onResolutionRejected: 'prv-reject',
        },
      });
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      olga = await keyOf('olga-key', ['operator'], 'olga');
      bert = await keyOf('bert-key', ['operator'], 'bert');
      integration = await keyOf('int-key', ['integration']);
      builder = await keyOf('builder-key', ['builder']);
    });
    afterAll(async () => h?.close());

    const newCase = async (body: Record<string, unknown> = {}): Promise<string> => {
      const r = await h.api('POST', '/v1/cases', { title: 'c', queue: 'desk', ...body }, olga);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id;
    };

    describe('POST /v1/cases/{id}/tasks', () => {
      it('refuses hostile values field by field, never with a 500', async () => {
        const id = await newCase();
        for (const field of ['title', 'queue', 'assignee', 'note'])
          for (const v of HOSTILE_VALUES) {
            const r = await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't', [field]: v }, olga);
            no5xx(r, `${field}=${JSON.stringify(v)?.slice(0, 40)}`);
          }
        for (const body of [null, [], 'x', 1, deep(200), { title: 't', extra: 1 }]) {
          const r = await h.api('POST', `/v1/cases/${id}/tasks`, JSON.stringify(body), olga);
          no5xx(r, JSON.stringify(body).slice(0, 40));
          expect(r.status).toBeGreaterThanOrEqual(400);
        }
        const proto = await h.api('POST', `/v1/cases/${id}/tasks`, '{"title":"t","__proto__":{"assignee":"olga"}}', olga);
        expect(proto.status).toBe(400);
        for (const caseId of ['x'.repeat(300), '%00', '__proto__', 'constructor', encodeURIComponent('../cases')]) {
          const r = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title: 't' }, olga);
          no5xx(r, caseId.slice(0, 20));
          expect(r.status).toBeGreaterThanOrEqual(400);
        }
      });

      it('refuses a builder, and an integration naming an assignee', async () => {
        const id = await newCase();
        expect((await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't' }, builder)).status).toBe(403);
        expect((await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't', assignee: 'olga' }, integration)).status).toBe(403);
        expect((await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't' }, { authorization: '' })).status).toBe(401);
        expect((await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't' }, { authorization: 'Bearer nope' })).status).toBe(401);
      });

      it('refuses a person who is not on the queue, disabled, or made up', async () => {
        const id = await newCase();
        for (const assignee of ['nobody', 'key:olga-key', 'anonymous', 'OLGA']) {
          const r = await h.api('POST', `/v1/cases/${id}/tasks`, { title: 't', queue: 'vendor-desk', assignee }, olga);
          expect(r.status, `${assignee}: ${JSON.stringify(r.body)}`).toBe(422);
        }
      });

      it('adds one task for ten concurrent requests with one key', async () => {
        const id = await newCase();
        const rs = await Promise.all(
          Array.from({ length: 10 }, () => h.api('POST', `/v1/cases/${id}/tasks`, { title: 'once' }, { ...olga, 'idempotency-key': 'k1' })),
        );
        for (const r of rs) no5xx(r, 'concurrent');
        expect(new Set(rs.map((r) => r.body.id)).size).toBe(1);
        expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
        const acts = await h.api('GET', `/v1/actions?caseId=${id}`);
        expect(acts.body.items.filter((a: { title?: string; input?: { title?: string } }) => a.input?.title === 'once')).toHaveLength(1);
        // The same key for another case, or another title, is another request: 409.
        const other = await newCase();
        expect((await h.api('POST', `/v1/cases/${other}/tasks`, { title: 'once' }, { ...olga, 'idempotency-key': 'k1' })).status).toBe(409);
        // Bert's key is his own.
        expect((await h.api('POST', `/v1/cases/${id}/tasks`, { title: 'once' }, { ...bert, 'idempotency-key': 'k1' })).status).toBe(201);
      });

      it('closes the case while tasks are added: each is refused or closed with it', async () => {
        const id = await newCase();
        const adds = Array.from({ length: 8 }, (_, i) => h.api('POST', `/v1/cases/${id}/tasks`, { title: `t${i}` }, olga));
        const close = h.api('POST', `/v1/cases/${id}/close`, undefined, olga);
        const rs = await Promise.all([...adds, close]);
        for (const r of rs) no5xx(r, 'close race');
        const open = (await h.api('GET', `/v1/actions?caseId=${id}`)).body.items.filter((a: { state: string }) => a.state !== 'closed');
        expect(open).toEqual([]);
      });
    });

    describe('integrated queue inbound routes', () => {
      const submits = (): Array<{ callbackUrl: string; task: string }> =>
        h.mock.log.filter((e) => e.path === '/provider/submit').map((e) => e.body as { callbackUrl: string; task: string });
      const post = (url: string, body: unknown) => h.api('POST', url.slice(h.url.length), body, { authorization: '' });
      async function providerTask(): Promise<{ id: string; url: string }> {
        const c = await newCase();
        const r = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'to the provider', queue: 'vendor-desk' }, olga);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        for (let i = 0; !submits().some((s) => s.task === r.body.id) && i < 300; i++) await new Promise((res) => setTimeout(res, 50));
        return { id: r.body.id, url: submits().find((s) => s.task === r.body.id)!.callbackUrl };
      }

      it('a task added with a key and repeated after the provider handed it back is not sent to the provider again', async () => {
        const c = await newCase();
        const add = () =>
          h.api(
            'POST',
            `/v1/cases/${c}/tasks`,
            { title: 'once to the provider', queue: 'vendor-desk' },
            { ...olga, 'idempotency-key': 'iq-1' },
          );
        const first = await add();
        expect(first.status, JSON.stringify(first.body)).toBe(201);
        const id = first.body.id as string;
        for (let i = 0; !submits().some((s) => s.task === id) && i < 300; i++) await new Promise((res) => setTimeout(res, 50));
        const url = submits().find((s) => s.task === id)!.callbackUrl;
        expect((await post(`${url}/acknowledge`, { externalReference: 'IQ-1' })).status).toBe(200);
        expect((await post(`${url}/hand-back`, { resolution: 'solved', solution: 'Done on our side' })).status).toBe(200);
        const back = (await h.api('GET', `/v1/actions/${id}`)).body;
        expect(back).toMatchObject({ state: 'todo', reason: 'updated_by_integration' });
        // The client repeats its request (a lost answer): the first task, as it now is, and nothing sent.
        const again = await add();
        expect(again.status, JSON.stringify(again.body)).toBe(200);
        expect(again.body).toMatchObject({ id, state: 'todo', solution: { solution: 'Done on our side' } });
        await new Promise((res) => setTimeout(res, 200));
        expect(submits().filter((s) => s.task === id)).toHaveLength(1);
        const log = (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items as Array<{ requestType: string }>;
        expect(log.filter((e) => e.requestType === 'Submit Request')).toHaveLength(1);
      });

      it('refuses hostile bodies on acknowledge, messages and hand-back', async () => {
        const { url } = await providerTask();
        for (const sub of ['acknowledge', 'messages', 'hand-back'])
          for (const field of ['externalReference', 'message', 'resolution', 'solution'])
            for (const v of HOSTILE_VALUES) {
              const body = sub === 'hand-back' ? { resolution: 'solved', solution: 's', [field]: v } : { [field]: v };
              no5xx(await post(`${url}/${sub}`, body), `${sub} ${field}=${JSON.stringify(v)?.slice(0, 30)}`);
            }
        for (const sub of ['', '/acknowledge', '/messages', '/hand-back', '/heartbeat'])
          for (const body of ['null', '[]', '"x"', JSON.stringify(deep(300)), '{"__proto__":{"x":1}}', '{']) {
            const r = await h.api('POST', `${url.slice(h.url.length)}${sub}`, body, { authorization: '' });
            no5xx(r, `${sub} ${body.slice(0, 20)}`);
            // A heartbeat needs no body: JSON null is none.
            if (!(sub === '/heartbeat' && body === 'null')) expect(r.status, `${sub} ${body.slice(0, 20)}`).toBeGreaterThanOrEqual(400);
          }
      });

      it('takes one of two different hand-backs sent at once', async () => {
        const { id, url } = await providerTask();
        const rs = await Promise.all([
          post(`${url}/hand-back`, { resolution: 'solved', solution: 'A' }),
          post(`${url}/hand-back`, { resolution: 'closed', solution: 'B' }),
          post(`${url}/hand-back`, { resolution: 'solved', solution: 'C' }),
        ]);
        for (const r of rs) no5xx(r, 'hand-back race');
        expect(rs.filter((r) => r.status === 200)).toHaveLength(1);
        const log = (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items;
        expect(log.filter((e: { requestType: string }) => e.requestType === 'Reassigned')).toHaveLength(1);
      });

      it('acknowledges with one reference of two sent at once', async () => {
        const { id, url } = await providerTask();
        const rs = await Promise.all([
          post(`${url}/acknowledge`, { externalReference: 'R-1' }),
          post(`${url}/acknowledge`, { externalReference: 'R-2' }),
        ]);
        for (const r of rs) no5xx(r, 'ack race');
        const task = (await h.api('GET', `/v1/actions/${id}`)).body;
        const ok = rs.filter((r) => r.status === 200);
        expect(ok.length).toBeGreaterThanOrEqual(1);
        expect(['R-1', 'R-2']).toContain(task.externalReference);
      });

      it('refuses the token once the task closed (409), and a forged one (404)', async () => {
        const { id, url } = await providerTask();
        expect((await h.api('POST', `/v1/actions/${id}/complete`, { resolution: 'done_successfully' }, olga)).status).toBe(200);
        for (const [sub, body] of [
          ['acknowledge', { externalReference: 'LATE' }],
          ['messages', { message: 'late' }],
          ['hand-back', { resolution: 'solved', solution: 'late' }],
        ] as const) {
          const r = await post(`${url}/${sub}`, body);
          expect(r.status, `${sub}: ${JSON.stringify(r.body)}`).toBe(409);
        }
        const task = (await h.api('GET', `/v1/actions/${id}`)).body;
        expect(task.externalReference).not.toBe('LATE');
        const forged = url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
        expect((await post(`${forged}/hand-back`, { resolution: 'solved', solution: 'x' })).status).toBe(404);
      });

      it('signed routes: hostile references and bad signatures are refused without a 500', async () => {
        for (const ref of ['x'.repeat(5000), '%00', '__proto__', '%E2%80%AE'])
          for (const sub of ['', '/acknowledge', '/messages', '/hand-back']) {
            const r = await h.api(
              'POST',
              `/v1/connectors/provider/inbound/${ref}${sub}`,
              { message: 'x' },
              {
                authorization: '',
                'webhook-id': 'msg_1',
                'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
                'webhook-signature': 'v1,AAAA',
              },
            );
            no5xx(r, `${ref.slice(0, 10)}${sub}`);
            expect(r.status).toBeGreaterThanOrEqual(400);
          }
        for (const ts of ['NaN', '-1', '1e400', '99999999999999999999', '']) {
          const r = await h.api(
            'POST',
            '/v1/connectors/provider/inbound/REF',
            { outcome: 'success' },
            {
              authorization: '',
              'webhook-id': 'msg_2',
              'webhook-timestamp': ts,
              'webhook-signature': 'v1,AAAA',
            },
          );
          no5xx(r, `ts ${ts}`);
        }
      });
    });

    describe('schedules', () => {
      const create = async (name: string): Promise<{ id: string; etag: string }> => {
        const r = await h.api('POST', '/v1/schedules', { name, cron: '0 8 * * *', launch: { actionType: 'ok', input: {} } }, builder);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return { id: r.body.id, etag: r.headers.etag as string };
      };

      it('refuses malformed and stale If-Match, and hostile patches', async () => {
        const { id, etag } = await create('s-ifmatch');
        for (const im of [
          '',
          '""',
          '"3"',
          'W/' + etag,
          `${etag}, ${etag}`,
          etag.slice(1, -1),
          `"${'A'.repeat(22)}"`,
          '*x',
          'x'.repeat(8000),
        ]) {
          const r = await h.api('PATCH', `/v1/schedules/${id}`, { paused: true }, { ...builder, 'if-match': im });
          no5xx(r, `if-match ${im.slice(0, 30)}`);
          expect(r.status, `if-match ${im.slice(0, 30)}`).toBeGreaterThanOrEqual(400);
        }
        for (const field of ['name', 'cron', 'timezone', 'launch', 'paused'])
          for (const v of [...HOSTILE_VALUES, deep(100), { actionType: 'ok', input: deep(100) }, { process: 'nope' }]) {
            const r = await h.api('PATCH', `/v1/schedules/${id}`, { [field]: v }, builder);
            no5xx(r, `${field}=${JSON.stringify(v)?.slice(0, 40)}`);
          }
        for (const v of ['* * * * * * *', '0 0 31 2 *', '@reboot', '*/0 * * * *', '0 0 * * 8', '59 23 29 2 1', '0 0 1 1 * 2099']) {
          const r = await h.api('POST', '/v1/schedules', { name: `cron-${v}`, cron: v, launch: { actionType: 'ok' } }, builder);
          no5xx(r, `cron ${v}`);
        }
        for (const tz of ['Etc/GMT+14', '../../../etc/passwd', 'Europe/Amsterdam\u0000', 'UTC+25', 'America/Argentina/ComodRivadavia']) {
          const r = await h.api(
            'POST',
            '/v1/schedules',
            { name: `tz-${tz}`.slice(0, 100), cron: '0 8 * * *', timezone: tz, launch: { actionType: 'ok' } },
            builder,
          );
          no5xx(r, `tz ${tz}`);
        }
      });

      it('two pauses with one tag: one is made, the other 412', async () => {
        const { id, etag } = await create('s-race');
        const rs = await Promise.all([
          h.api('PATCH', `/v1/schedules/${id}`, { paused: true }, { ...builder, 'if-match': etag }),
          h.api('PATCH', `/v1/schedules/${id}`, { name: 's-race-2' }, { ...builder, 'if-match': etag }),
        ]);
        expect(rs.map((r) => r.status).sort()).toEqual([200, 412]);
      });

      it('a rename onto another schedule’s name is a 409, at once or raced', async () => {
        await create('s-taken');
        const { id } = await create('s-renamed');
        const r = await h.api('PATCH', `/v1/schedules/${id}`, { name: 's-taken' }, builder);
        no5xx(r, 'rename');
        const b = await create('s-b');
        const c = await create('s-c');
        const rs = await Promise.all([
          h.api('PATCH', `/v1/schedules/${b.id}`, { name: 's-same' }, builder),
          h.api('PATCH', `/v1/schedules/${c.id}`, { name: 's-same' }, builder),
          h.api('POST', '/v1/schedules', { name: 's-same', cron: '0 8 * * *', launch: { actionType: 'ok' } }, builder),
        ]);
        for (const x of rs) no5xx(x, 'rename race');
      });

      it('deleted twice at once: one 204 and one 404; a PATCH after is 404', async () => {
        const { id, etag } = await create('s-del');
        const rs = await Promise.all([
          h.api('DELETE', `/v1/schedules/${id}`, undefined, builder),
          h.api('DELETE', `/v1/schedules/${id}`, undefined, builder),
        ]);
        expect(rs.map((r) => r.status).sort()).toEqual([204, 404]);
        expect((await h.api('PATCH', `/v1/schedules/${id}`, { paused: false }, { ...builder, 'if-match': etag })).status).toBe(404);
      });

      it('a schedule whose action type came to need more input since can still be paused', async () => {
        await actionType(h, { name: 'grows', path: '/ok' });
        const r = await h.api(
          'POST',
          '/v1/schedules',
          { name: 's-grows', cron: '0 8 * * *', launch: { actionType: 'grows', input: {} } },
          builder,
        );
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        // A builder makes the type need a Queue: the schedule's stored input no longer launches it.
        expect((await h.api('PATCH', '/v1/action-types/grows', { path: '/ok/{{ Queue }}' }, builder)).status).toBe(200);
        const paused = await h.api('PATCH', `/v1/schedules/${r.body.id}`, { paused: true }, builder);
        expect(paused.status, JSON.stringify(paused.body)).toBe(200);
        expect(paused.body).toMatchObject({ paused: true, nextRunAt: null });
        // A change to its launch is checked against the type as it now is.
        const bad = await h.api('PATCH', `/v1/schedules/${r.body.id}`, { launch: { actionType: 'grows', input: { Other: 1 } } }, builder);
        expect(bad.status).toBe(422);
      });

      it('operators cannot change schedules', async () => {
        const { id } = await create('s-roles');
        expect((await h.api('PATCH', `/v1/schedules/${id}`, { paused: true }, olga)).status).toBe(403);
        expect((await h.api('DELETE', `/v1/schedules/${id}`, undefined, integration)).status).toBe(403);
      });
    });

    describe('bulk replays', () => {
      it('refuses hostile filters, never with a 500', async () => {
        for (const field of ['state', 'reason', 'resolution', 'actionType', 'connector', 'caseId', 'queue', 'since', 'until', 'timeField'])
          for (const v of HOSTILE_VALUES) {
            const r = await h.api('POST', '/v1/bulk-replays', { filter: { [field]: v }, operation: 'retry', dryRun: true }, olga);
            no5xx(r, `${field}=${JSON.stringify(v)?.slice(0, 30)}`);
          }
        for (const since of [
          '+275760-09-13T00:00:00Z',
          '-271821-04-20T00:00:00Z',
          '9999-12-31T23:59:59.999Z',
          '0000-01-01T00:00:00Z',
          '2026-02-30T00:00:00Z',
          '2026-01-01T00:00:00+99:99',
        ]) {
          const r = await h.api('POST', '/v1/bulk-replays', { filter: { since, until: since }, operation: 'retry', dryRun: true }, olga);
          no5xx(r, `since ${since}`);
        }
        for (const max of [0, -1, 1e9, 1.5, '5', null]) {
          const r = await h.api('POST', '/v1/bulk-replays', { filter: { state: 'closed' }, operation: 'retry', max }, olga);
          no5xx(r, `max ${max}`);
          expect(r.status).toBeGreaterThanOrEqual(400);
        }
        expect(
          (await h.api('POST', '/v1/bulk-replays', { filter: { state: 'todo' }, operation: 'retry', dryRun: true }, builder)).status,
        ).toBe(403);
      });

      it('runs once for concurrent requests with one key', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await launch(h, 'broken')).id);
        for (const id of ids) await h.waitFor(id, (a) => a.state === 'todo');
        const body = {
          filter: { actionType: 'broken', state: 'todo' },
          operation: 'close',
          resolution: 'not_done_successfully',
          note: 'bulk',
        };
        const rs = await Promise.all(
          Array.from({ length: 5 }, () => h.api('POST', '/v1/bulk-replays', body, { ...olga, 'idempotency-key': 'r1' })),
        );
        for (const r of rs) no5xx(r, 'replay race');
        const done = rs.filter((r) => r.status === 200).map((r) => r.body.done as number);
        expect(done.every((d) => d === done[0])).toBe(true);
        for (const id of ids) {
          const tl = (await h.api('GET', `/v1/actions/${id}/timeline`)).body.items as Array<{ kind: string; message: string }>;
          expect(tl.filter((t) => t.message === 'bulk').length).toBeLessThanOrEqual(1);
        }
        // Another body under that key: 409.
        expect((await h.api('POST', '/v1/bulk-replays', { ...body, note: 'other' }, { ...olga, 'idempotency-key': 'r1' })).status).toBe(
          409,
        );
      });
    });

    describe('webhook subscriptions', () => {
      it('refuses hostile retry policies, never with a 500', async () => {
        const base = { url: 'https://hooks.example.com/x', events: ['case.created'] };
        for (const field of ['maxRetries', 'interval', 'backoff', 'maxInterval', 'retryOn', 'jitter'])
          for (const v of [...HOSTILE_VALUES, '9999999999999d', '1e400ms', 'Infinity', '-5s', '0ms', 2 ** 53, 1e21]) {
            const r = await h.api('POST', '/v1/webhooks', { ...base, retry: { [field]: v } }, builder);
            no5xx(r, `retry.${field}=${JSON.stringify(v)?.slice(0, 40)}`);
            if (r.status === 201) {
              await h.api('DELETE', `/v1/webhooks/${r.body.id}`, undefined, builder);
            }
          }
        const w = await h.api('POST', '/v1/webhooks', base, builder);
        for (const v of [...HOSTILE_VALUES, deep(50)]) {
          const r = await h.api('PATCH', `/v1/webhooks/${w.body.id}`, { retry: v }, builder);
          no5xx(r, `patch retry=${JSON.stringify(v)?.slice(0, 40)}`);
        }
        // The secret is shown once: never in a read, a PATCH or a list.
        const secret = w.body.secret as string;
        for (const r of [
          await h.api('GET', `/v1/webhooks/${w.body.id}`, undefined, builder),
          await h.api('GET', '/v1/webhooks', undefined, builder),
          await h.api('PATCH', `/v1/webhooks/${w.body.id}`, { description: 'd' }, builder),
        ])
          expect(JSON.stringify(r.body)).not.toContain(secret.slice(6));
        expect((await h.api('GET', `/v1/webhooks/${w.body.id}`, undefined, olga)).status).toBe(403);
        for (const before of ['x', '0', '-1', '%00', 'x'.repeat(100)]) {
          const r = await h.api('GET', `/v1/webhooks/${w.body.id}/deliveries?before=${before}&limit=1`, undefined, builder);
          no5xx(r, `deliveries before=${before}`);
        }
        for (const limit of ['0', '-1', '501', 'NaN', '1e3', '1.5']) {
          const r = await h.api('GET', `/v1/webhooks/${w.body.id}/deliveries?limit=${limit}`, undefined, builder);
          no5xx(r, `deliveries limit=${limit}`);
        }
        no5xx(await h.api('POST', `/v1/webhooks/${w.body.id}/deliveries/nope/retry`, undefined, builder), 'retry unknown delivery');
      });
    });

    describe('notifications and notes', () => {
      it('keeps each person to their own notifications', async () => {
        const c = await newCase();
        const t = await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'for bert', assignee: 'bert' }, olga);
        expect(t.status, JSON.stringify(t.body)).toBe(201);
        const mine = (await h.api('GET', '/v1/notifications', undefined, bert)).body.items;
        expect(mine.length).toBeGreaterThan(0);
        const n = mine[0].id;
        expect((await h.api('POST', `/v1/notifications/${n}/read`, undefined, olga)).status).toBe(404);
        expect((await h.api('GET', '/v1/notifications', undefined, bert)).body.items[0].read).toBe(false);
        for (const q of [
          'before=0',
          'before=-1',
          'before=999999999999999',
          'before=9999999999999999',
          'limit=0',
          'limit=201',
          'unread=maybe',
          'before=1e3',
        ]) {
          const r = await h.api('GET', `/v1/notifications?${q}`, undefined, bert);
          no5xx(r, q);
        }
        for (const id of ['0', '999999999999999', '9999999999999999', '-1', '1e3', 'x'])
          no5xx(await h.api('POST', `/v1/notifications/${id}/read`, undefined, bert), id);
        for (const upTo of [-1, 1e20, 1.5, 'x', null]) no5xx(await h.api('POST', '/v1/notifications/read', { upTo }, bert), `upTo ${upTo}`);
        expect((await h.api('GET', '/v1/notifications', undefined, builder)).status).toBeLessThan(500);
      });

      it('notes: hostile notes refused, concurrent notes all kept, other roles refused', async () => {
        const c = await newCase();
        const t = (await h.api('POST', `/v1/cases/${c}/tasks`, { title: 'noted' }, olga)).body.id;
        for (const v of HOSTILE_VALUES)
          no5xx(await h.api('POST', `/v1/actions/${t}/notes`, { note: v }, olga), `note ${JSON.stringify(v)?.slice(0, 30)}`);
        expect((await h.api('POST', `/v1/actions/${t}/notes`, { note: 'x' }, builder)).status).toBe(403);
        expect((await h.api('POST', `/v1/actions/${t}/notes`, { note: 'x' }, integration)).status).toBe(403);
        const rs = await Promise.all(
          Array.from({ length: 10 }, (_, i) => h.api('POST', `/v1/actions/${t}/notes`, { note: `n${i}` }, olga)),
        );
        for (const r of rs) no5xx(r, 'notes race');
        const tl = (await h.api('GET', `/v1/actions/${t}/timeline`)).body.items as Array<{ message: string }>;
        for (let i = 0; i < 10; i++) expect(tl.filter((e) => e.message === `n${i}`)).toHaveLength(rs[i]!.status === 200 ? 1 : 0);
      });
    });
  });
