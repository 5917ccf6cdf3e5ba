// A text search (GET /v1/actions?q=, /v1/cases?q=, the counts) with what a careless client sends, on
// both stores: text beyond ASCII is found as typed, and a NUL matches nothing (SQLite's LIKE read a
// pattern only up to its NUL, so "%\0%" was "%" and found every action and case).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch } from '../helpers/harness.ts';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

describe.each(storeHarnesses)('hostile text searches on $name', ({ open }) => {
  let h: StoreHarnessed;
  let id = '';
  beforeAll(async () => {
    h = await open();
    await connector(h);
    await actionType(h, { name: 'a1', path: '/ok', body: { format: 'json', template: '{"c": "{{ c }}"}' } });
    id = (await launch(h, 'a1', { c: 'Émile Zoë 50% a_b' })).id;
  });
  afterAll(async () => h?.close());
  const ids = async (path: string, q: string): Promise<string[]> => {
    const r = await h.api('GET', `${path}?q=${encodeURIComponent(q)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.items as Array<{ id: string }>).map((a) => a.id);
  };

  it('finds text beyond ASCII written as it is stored', async () => {
    expect(await ids('/v1/actions', 'Émile')).toEqual([id]);
    expect(await ids('/v1/actions', 'Zoë')).toEqual([id]);
    expect(await ids('/v1/actions', 'émile zoë'.replace('é', 'É'))).toEqual([id]);
  });

  it('a NUL in the text matches nothing, in actions, their counts and cases', async () => {
    expect(await ids('/v1/actions', 'a_b')).toEqual([id]);
    expect(await ids('/v1/actions', '\u0000')).toEqual([]);
    expect(await ids('/v1/actions', '\u0000x')).toEqual([]);
    const counts = await h.api('GET', `/v1/actions/counts?q=${encodeURIComponent('\u0000')}`);
    expect(counts.status).toBe(200);
    expect(Object.values(counts.body.states as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(0);
    const made = await h.api('POST', '/v1/cases', { title: 'Ship the order', data: { k: 'v' } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(await ids('/v1/cases', 'order')).toEqual([made.body.id]);
    expect(await ids('/v1/cases', '\u0000')).toEqual([]);
  });
});
