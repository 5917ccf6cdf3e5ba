// The work manager's filter by connector and search by custom data (GET /v1/actions?connector=&q=),
// on both stores: the connector resolves to its action types; q matches text in the input JSON, the
// external reference or its case's title and data, case-insensitively, with LIKE's wildcards taken literally.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from '../helpers/pg.ts';

const stores: Array<[string, () => Promise<{ opts: Parameters<typeof startHarness>[0]; cleanup: () => Promise<void> }>]> = [
  ['SQLite', async () => ({ opts: {}, cleanup: async () => undefined })],
  [
    'PostgreSQL',
    async () => {
      await withAdmin(async () => undefined);
      const schema = freshSchema('uisearch');
      const store = new PostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema,
        poolSize: 4,
        logger: createLogger({ level: 'silent' }),
      });
      return { opts: { callout: { store, secretKey: '0'.repeat(64) } }, cleanup: () => dropSchema(schema) };
    },
  ],
];

describe.each(stores)('action filter by connector and search on %s', (_name, open) => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  const ids: Record<string, string> = {};
  let ref = '';
  beforeAll(async () => {
    const s = await open();
    cleanup = s.cleanup;
    h = await startHarness(s.opts);
    await connector(h);
    const other = await connector(h, { name: 'other' });
    await connector(h, { name: 'unused' });
    const body = { format: 'json', template: '{"c": "{{ customer }}", "n": "{{ note }}"}' };
    await actionType(h, { name: 'a1', path: '/ok', body });
    await actionType(h, { name: 'a2', path: '/ok', body });
    await actionType(h, { name: 'b1', path: '/ok', body, connector: other, response: { externalReference: 'id' } });
    ids.x = (await launch(h, 'a1', { customer: 'Zebra Industries', note: 'first' })).id;
    ids.y = (await launch(h, 'a2', { customer: 'Acme', note: 'discount 50% off' })).id;
    ids.z = (await launch(h, 'b1', { customer: 'zebra crossing', note: 'third' })).id;
    ref = (await h.waitFor(ids.z, (a) => a.state === 'closed')).externalReference as string;
  });
  afterAll(async () => {
    await h?.close();
    await cleanup?.();
  });
  const list = async (qs: string): Promise<string[]> => {
    const r = await h.api('GET', `/v1/actions?${qs}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.items as Array<{ id: string }>).map((a) => a.id).sort();
  };

  it('filters by connector name or id, across its action types', async () => {
    expect(await list('connector=vendor')).toEqual([ids.x, ids.y].sort());
    const other = (await h.api('GET', '/v1/connectors/other')).body.id as string;
    expect(await list(`connector=${other}`)).toEqual([ids.z]);
    expect(await list('connector=unused')).toEqual([]);
  });

  it('searches the input JSON and the external reference, case-insensitively', async () => {
    expect(await list('q=zebra')).toEqual([ids.x, ids.z].sort());
    expect(ref).toMatch(/^EXT-/);
    expect(await list(`q=${ref.toLowerCase()}`)).toEqual([ids.z]);
    expect(await list('q=zebra&connector=other')).toEqual([ids.z]);
    expect(await list(`q=${encodeURIComponent('50%')}`)).toEqual([ids.y]);
    expect(await list(`q=${encodeURIComponent('%')}`)).toEqual([ids.y]);
    expect(await list('q=_')).toEqual([]);
    expect(await list('q=nothing-like-this')).toEqual([]);
  });

  it('finds the actions of a case whose title or data hold the text (SPEC 9: by custom data), combined with the other filters', async () => {
    // Their system answers 204: an answer with a body would be merged into the case's data (SPEC 5), and
    // the echoed "toner" would then rightly find both, depending on which answer came first.
    const body = { format: 'json', template: '{"c": "{{ customer }}", "n": "{{ note }}"}' };
    await actionType(h, { name: 'c1', path: '/status/204', body });
    await actionType(h, { name: 'c2', path: '/status/204', body, connector: 'other' });
    const kase = (await h.api('POST', '/v1/cases', { title: 'Printer for Lou', data: { customer: 'ACME-4711' } })).body.id as string;
    const onCase = (await launch(h, 'c1', { customer: 'someone', note: 'toner' }, { caseId: kase })).id;
    const alsoOnCase = (await launch(h, 'c2', { customer: 'someone', note: 'paper' }, { caseId: kase })).id;
    await h.waitFor(onCase, (a) => a.state === 'closed');
    await h.waitFor(alsoOnCase, (a) => a.state === 'closed');
    expect((await h.api('GET', `/v1/cases/${kase}`)).body.data).toEqual({ customer: 'ACME-4711' });
    expect(await list('q=acme-4711')).toEqual([onCase, alsoOnCase].sort());
    expect(await list(`q=${encodeURIComponent('printer for')}`)).toEqual([onCase, alsoOnCase].sort());
    expect(await list('q=acme-4711&connector=other')).toEqual([alsoOnCase]);
    // The work list's counts say the same.
    const counts = (await h.api('GET', '/v1/actions/counts?q=acme-4711')).body.states as Record<string, number>;
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(2);
    // The input still matches on its own, the case's text does not spill onto other actions.
    expect(await list('q=toner')).toEqual([onCase]);
    expect(await list('q=zebra')).toEqual([ids.x, ids.z].sort());
  });

  it('names the field for an unknown connector or an over-long q', async () => {
    const r = await h.api('GET', '/v1/actions?connector=nope');
    // As for an unknown actionType: the request is well-formed, the name is not.
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ field: 'connector' })]);
    const long = await h.api('GET', `/v1/actions?q=${'x'.repeat(201)}`);
    expect(long.status).toBe(422);
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'q' })]);
  });
});
