// Two builders editing one resource: each read answers an ETag (the revision), and a PATCH sent with
// If-Match changes the resource only if nobody changed it since; otherwise 412 and nothing changes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await actionType(h, { name: 'open-ticket', path: '/ok' });
  expect((await h.api('POST', '/v1/queues', { name: 'hr', members: [] })).status).toBe(201);
  const p = await h.api('POST', '/v1/processes', {
    name: 'onboard',
    steps: [{ name: 'a', kind: 'manual', title: 'Approve', queue: 'hr' }],
  });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
});
afterAll(async () => h.close());

// Each resource: where it is, and a change a builder might make (two different ones, to tell them apart).
const resources = [
  { kind: 'connector', path: '/v1/connectors/vendor', change: (n: number) => ({ timeout: `${n}s` }), field: 'timeout' },
  { kind: 'action type', path: '/v1/action-types/open-ticket', change: (n: number) => ({ path: `/ok/${n}` }), field: 'path' },
  { kind: 'process', path: '/v1/processes/onboard', change: (n: number) => ({ description: `v${n}` }), field: 'description' },
  { kind: 'queue', path: '/v1/queues/hr', change: (n: number) => ({ description: `v${n}` }), field: 'description' },
] as const;

describe.each(resources)('$kind', ({ path, change, field }) => {
  it('a read answers its revision as the ETag; a PATCH on the revision read applies and answers the next', async () => {
    const read = await h.api('GET', path);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe(`"${read.body.revision}"`);
    const r = await h.api('PATCH', path, change(11), { 'if-match': read.headers.etag as string });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.revision).toBe(read.body.revision + 1);
    expect(r.headers.etag).toBe(`"${r.body.revision}"`);
  });

  it('the second of two builders who read the same revision gets 412, and their change is not made', async () => {
    const read = await h.api('GET', path);
    const etag = read.headers.etag as string;
    expect((await h.api('PATCH', path, change(21), { 'if-match': etag })).status).toBe(200);
    const second = await h.api('PATCH', path, change(22), { 'if-match': etag });
    expect(second.status).toBe(412);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.body.code).toBe('PRECONDITION_FAILED');
    expect(second.body.detail).toContain(`is at revision ${read.body.revision + 1}, not ${read.body.revision}`);
    const now = await h.api('GET', path);
    expect(now.body.revision).toBe(read.body.revision + 1);
    expect(JSON.stringify(now.body[field])).toContain('21');
  });

  it('a malformed If-Match is refused by name and changes nothing; * and no header apply to what is stored', async () => {
    const before = await h.api('GET', path);
    for (const bad of ['3', 'W/"3"', '"3", "4"', '"abc"', '""', '"0"', `"${'9'.repeat(20)}"`]) {
      const r = await h.api('PATCH', path, change(31), { 'if-match': bad });
      expect(r.status, bad).toBe(422);
      expect(r.body.errors[0].field, bad).toBe('If-Match');
    }
    expect((await h.api('GET', path)).body.revision).toBe(before.body.revision);
    expect((await h.api('PATCH', path, change(32), { 'if-match': '*' })).body.revision).toBe(before.body.revision + 1);
    expect((await h.api('PATCH', path, change(33))).body.revision).toBe(before.body.revision + 2);
  });
});

it('a created resource answers its ETag, and the OpenAPI document gives each PATCH the If-Match header and its 412', async () => {
  const created = await h.api('POST', '/v1/queues', { name: 'it', members: [] });
  expect(created.status).toBe(201);
  expect(created.headers.etag).toBe('"1"');
  const doc = (await h.api('GET', '/openapi.json')).body;
  for (const p of ['/v1/connectors/{id}', '/v1/action-types/{id}', '/v1/processes/{id}', '/v1/queues/{name}']) {
    const op = doc.paths[p].patch;
    expect(
      op.parameters.some((x: { in: string; name: string }) => x.in === 'header' && x.name === 'if-match'),
      p,
    ).toBe(true);
    expect(op.responses['412'], p).toBeDefined();
  }
});
