// What the OpenAPI document promises is what the server answers: each creation's 201 with a Location
// that reads it back, and each problem's status documented on its operation, as application/problem+json
// of the Problem schema.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { actionType, connector, startHarness, type ApiResponse, type Harness } from '../helpers/harness.ts';
import { OutcomeUnknownError } from '../../src/store/failures.ts';

let h: Harness;
let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: { Problem: object } } };
let problemSchema: ValidateFunction;

beforeAll(async () => {
  h = await startHarness({ start: false, server: { limits: { perKey: 60 } } });
  doc = (await h.api('GET', '/openapi.json')).body;
  problemSchema = new Ajv2020({ strict: false }).compile(doc.components.schemas.Problem);
  await connector(h);
  await actionType(h, { name: 'ping', path: '/ok' });
});
afterAll(() => h.close());

/** The operation's documented answers, by the route as Fastify writes it (`:id`) or as OpenAPI does (`{id}`). */
function documented(method: string, route: string): string[] {
  const path = route.replace(/:(\w+)/g, '{$1}');
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path} is not in the document`);
  return Object.keys(op.responses);
}

function expectProblem(method: string, route: string, r: ApiResponse, status: number): void {
  expect(r.status, `${method} ${route}`).toBe(status);
  expect(documented(method, route), `${method} ${route} documents ${status}`).toContain(String(status));
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(problemSchema(r.body) ? [] : problemSchema.errors).toEqual([]);
}

describe('creations', () => {
  it('answer 201 as documented, with a Location that reads the thing back', async () => {
    await h.api('POST', '/v1/users', { name: 'olga' });
    const bodies: Array<[string, unknown]> = [
      ['/v1/connectors', { name: 'crm', baseUrl: h.mock.url }],
      ['/v1/action-types', { name: 'sync', connector: 'crm', path: '/ok' }],
      ['/v1/queues', { name: 'desk', members: ['olga'] }],
      ['/v1/users', { name: 'pete' }],
      ['/v1/processes', { name: 'two-tasks', steps: [{ name: 'a', kind: 'manual', queue: 'desk' }] }],
      ['/v1/webhooks', { url: h.mock.url, events: ['case.created'] }],
      ['/v1/schedules', { name: 'daily', cron: '0 8 * * 1-5', timezone: 'UTC', launch: { actionType: 'ping', input: {} } }],
      ['/v1/actions', { actionType: 'ping' }],
      ['/v1/cases', { data: { employee: 'Jane' } }],
      ['/v1/bulk-launches', { actionType: 'ping', rows: [{}] }],
      ['/v1/views', { name: 'To do', screen: 'work', query: 'state=todo' }],
    ];
    for (const [route, body] of bodies) {
      const r = await h.api('POST', route, body);
      expect([route, r.status], JSON.stringify(r.body)).toEqual([route, 201]);
      expect(documented('POST', route)).toContain('201');
      const location = r.headers.location as string;
      expect(location, route).toMatch(new RegExp(`^${route}/`));
      expect((await h.api('GET', location)).status, location).toBe(200);
    }
    // A key is shown once and has no page of its own: 201 without a Location.
    const key = await h.api('POST', '/v1/api-keys', { name: 'ops' });
    expect([key.status, key.headers.location]).toEqual([201, undefined]);
    // A repeat with the same Idempotency-Key is the documented 200.
    const first = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'contract-1' });
    const again = await h.api('POST', '/v1/actions', { actionType: 'ping' }, { 'idempotency-key': 'contract-1' });
    expect([first.status, again.status, again.body.id]).toEqual([201, 200, first.body.id]);
    expect(documented('POST', '/v1/actions')).toContain('200');
  });
});

describe('problems', () => {
  it('each answers a status its operation documents, as a Problem', async () => {
    const operator = (await h.api('POST', '/v1/api-keys', { name: 'olga-laptop', roles: ['operator'] })).body.key as string;
    const cases: Array<[string, string, number, () => Promise<ApiResponse>]> = [
      ['GET', '/v1/actions', 401, () => h.api('GET', '/v1/actions', undefined, { authorization: '' })],
      [
        'POST',
        '/v1/connectors',
        403,
        () => h.api('POST', '/v1/connectors', { name: 'x', baseUrl: h.mock.url }, { authorization: `Bearer ${operator}` }),
      ],
      ['GET', '/v1/actions/:id', 404, () => h.api('GET', '/v1/actions/01a240c2-57a3-7000-b56d-16c45ee0cace')],
      ['GET', '/v1/connectors/:id/health', 404, () => h.api('GET', '/v1/connectors/nobody/health')],
      ['GET', '/v1/connectors/:id/health', 422, () => h.api('GET', '/v1/connectors/vendor/health?window=2h')],
      ['POST', '/v1/actions', 422, () => h.api('POST', '/v1/actions', { actionType: 'ping', extra: 1 })],
      ['POST', '/v1/actions', 400, () => h.api('POST', '/v1/actions', '{"actionType": ')],
      ['POST', '/v1/actions', 415, () => h.api('POST', '/v1/actions', 'x', { 'content-type': 'application/xml' })],
      // A write without a body schema still has its body read.
      ['POST', '/v1/actions/:id/retry', 415, () => h.api('POST', '/v1/actions/x/retry', 'x', { 'content-type': 'application/xml' })],
      ['POST', '/v1/connectors', 413, () => h.api('POST', '/v1/connectors', { name: 'x', description: 'x'.repeat(6 * 1024 * 1024) })],
      [
        'POST',
        '/v1/actions',
        409,
        () => h.api('POST', '/v1/actions', { actionType: 'ping', input: { a: 1 } }, { 'idempotency-key': 'contract-1' }),
      ],
    ];
    for (const [method, route, status, call] of cases) expectProblem(method, route, await call(), status);

    // The store could not say whether the launch was kept.
    vi.spyOn(h.callout.store, 'insertActions').mockRejectedValueOnce(new OutcomeUnknownError('lost after COMMIT'));
    expectProblem('POST', '/v1/actions', await h.api('POST', '/v1/actions', { actionType: 'ping' }), 503);

    // This server allows 60 requests a minute per key (the operator's key has made one).
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 80 && !limited; i++) {
      const r = await h.api('GET', '/v1/connectors', undefined, { authorization: `Bearer ${operator}` });
      if (r.status === 429) limited = r;
    }
    expectProblem('GET', '/v1/connectors', limited!, 429);
  });

  it('every operation documents a success, 401, 429, 500 and 503', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses);
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '429', '500', '503']));
        expect(
          codes.some((c) => c.startsWith('2')),
          `${method} ${path} has a success`,
        ).toBe(true);
      }
  });
});

describe("a command's Idempotency-Key", () => {
  it("documents how far back it is known: the caller's own latest entries, not the action's", () => {
    const described = (path: string): string => {
      const params = (doc.paths[path]?.post as unknown as { parameters: Array<{ name: string; description?: string }> }).parameters;
      return params.find((p) => p.name === 'idempotency-key')?.description ?? '';
    };
    expect(described('/v1/actions/{id}/retry')).toContain("the caller's own latest 50 retries of the action");
    expect(described('/v1/actions/{id}/decline-solution')).toContain("the caller's own latest 50 messages on the task");
    expect(described('/v1/callbacks/{token}/messages')).toContain("the sender's own latest 50 messages to the action");
    for (const path of ['/v1/actions/{id}/retry', '/v1/actions/{id}/decline-solution', '/v1/callbacks/{token}/messages'])
      expect(described(path)).toContain('however many entries others added since');
  });
});
