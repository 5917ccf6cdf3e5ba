// Saved views of the work list follow a rename of the action type or connector their query names
// (PATCH /v1/action-types/{id}, PATCH /v1/connectors/{id} with a new `name`): every owner's view that
// filters by the old name filters by the new one. They kept the old name, and found nothing after the
// rename (their count said the action type "no longer exists"). A view holding the id needs nothing.
// Queues and users are not renamed (their PATCH keeps the name), so their filters need nothing either.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';

describe.each(storeHarnesses)('saved work views of a renamed action type or connector on $name', (backend) => {
  let h: Harness;
  let olga: Record<string, string>;
  let typeId: string;
  let connectorId: string;
  const view = async (name: string, query: string, as?: Record<string, string>, shared = false): Promise<string> => {
    const r = await h.api('POST', '/v1/views', { name, screen: 'work', query, shared }, as);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const read = async (id: string): Promise<{ query: string; revision: number }> =>
    (await h.api('GET', `/v1/views/${id}`, undefined, olga)).body as { query: string; revision: number };
  const count = async (id: string): Promise<unknown> => (await h.api('GET', `/v1/views/${id}/count`, undefined, olga)).body;

  beforeAll(async () => {
    h = await backend.open();
    await h.api('POST', '/v1/users', { name: 'olga' });
    const k = await h.api('POST', '/v1/api-keys', { name: 'olga-key', roles: ['operator'], user: 'olga' });
    olga = { authorization: `Bearer ${k.body.key as string}` };
    connectorId = await connector(h);
    await connector(h, { name: 'elsewhere' });
    typeId = await actionType(h, { name: 'ticket', path: '/ok' });
    await actionType(h, { name: 'other', path: '/ok' });
    for (let i = 0; i < 2; i++) await launch(h, 'ticket');
  });
  afterAll(async () => h?.close());

  it('an action type renamed: every owner’s view filtering by its old name filters by the new one and still counts its actions', async () => {
    const mine = await view('Tickets', 'actionType=ticket&assignee=me', olga);
    const shared = await view('Tickets, shared', 'unassigned=true&actionType=ticket', undefined, true);
    const byId = await view('Tickets by id', `actionType=${typeId}`, olga);
    const other = await view('Other', 'actionType=other', olga);
    const sameConnector = await view('Vendor, all of it', 'connector=vendor', olga);
    expect(await count(shared)).toEqual({ value: 2, more: false });

    const r = await h.api('PATCH', `/v1/action-types/${typeId}`, { name: 'ticket-v2' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await read(mine)).toMatchObject({ query: 'actionType=ticket-v2&assignee=me', revision: 2 });
    expect(await read(shared)).toMatchObject({ query: 'unassigned=true&actionType=ticket-v2', revision: 2 });
    expect(await count(shared)).toEqual({ value: 2, more: false });
    for (const [id, query] of [
      [byId, `actionType=${typeId}`],
      [other, 'actionType=other'],
      [sameConnector, 'connector=vendor'],
    ] as const)
      expect(await read(id)).toMatchObject({ query, revision: 1 });
    // A change that keeps the name rewrites nothing.
    expect((await h.api('PATCH', `/v1/action-types/${typeId}`, { description: 'Tickets, now described' })).status).toBe(200);
    expect((await read(mine)).revision).toBe(2);
  });

  it('a connector renamed: every owner’s view filtering by its old name filters by the new one and still counts its actions', async () => {
    const mine = await view('Vendor', 'connector=vendor&state=todo', olga);
    const shared = await view('Vendor, shared', 'connector=vendor', undefined, true);
    const byId = await view('Vendor by id', `connector=${connectorId}`, olga);
    const other = await view('Elsewhere', 'connector=elsewhere', olga);
    expect(await count(shared)).toEqual({ value: 2, more: false });

    const r = await h.api('PATCH', `/v1/connectors/${connectorId}`, { name: 'vendor-two' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await read(mine)).toMatchObject({ query: 'connector=vendor-two&state=todo', revision: 2 });
    expect(await read(shared)).toMatchObject({ query: 'connector=vendor-two', revision: 2 });
    expect(await count(shared)).toEqual({ value: 2, more: false });
    expect(await read(byId)).toMatchObject({ query: `connector=${connectorId}`, revision: 1 });
    expect(await read(other)).toMatchObject({ query: 'connector=elsewhere', revision: 1 });
  });
});
