// Attack on GET /v1/bulk-replays on both stores: each role, a key named after a person, cursors that
// are not ids (SQL-ish ones too), hostile and repeated query values, and paging that neither repeats
// nor skips a run while runs are added.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeHarnesses, type StoreHarnessed } from '../helpers/store-harnesses.ts';

describe.each(storeHarnesses)('bulk replay run list under attack on $name', (backend) => {
  let h: StoreHarnessed;
  const as: Record<string, Record<string, string>> = {};
  const fields = (r: { body: { errors?: Array<{ field: string }> } }): string[] => (r.body.errors ?? []).map((e) => e.field);
  const key = async (name: string, roles: string[], user?: string): Promise<Record<string, string>> => {
    const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user ? { user } : {}) });
    return { authorization: `Bearer ${r.body.key as string}` };
  };
  const run = async (who: Record<string, string> | undefined): Promise<string> => {
    const r = await h.api('POST', '/v1/bulk-replays', { filter: { caseId: 'none-such' }, operation: 'retry' }, who);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.id as string;
  };
  const list = (q: string, who: Record<string, string> | undefined) => h.api('GET', `/v1/bulk-replays${q}`, undefined, who);

  beforeAll(async () => {
    h = await backend.open();
    for (const u of ['olga', 'pete']) await h.api('POST', '/v1/users', { name: u });
    as.olga = await key('olga-key', ['operator'], 'olga');
    as.pete = await key('pete-key', ['operator'], 'pete');
    as.admin = await key('root', ['admin']);
    as.builder = await key('builder-key', ['builder'], 'olga');
    as.metrics = await key('scraper', ['metrics']);
    as.integration = await key('System-A', ['integration']);
    // A key without a user, named as the person is: it acts as key:olga, never as olga.
    as.namesake = await key('olga', ['operator']);
  });
  afterAll(async () => h?.close());

  it('lists only the reader’s own runs; other roles are refused; a namesake key sees none of the person’s', async () => {
    const olgas = [await run(as.olga), await run(as.olga)];
    const petes = [await run(as.pete)];
    expect((await list('', as.olga)).body.items.map((r: { id: string }) => r.id)).toEqual([...olgas].reverse());
    expect((await list('', as.pete)).body.items.map((r: { id: string }) => r.id)).toEqual(petes);
    expect((await list('', as.namesake)).body.items).toEqual([]);
    expect((await list('?createdBy=olga', as.namesake)).body.items).toEqual([]);
    expect((await list('?createdBy=olga', as.admin)).body.items).toHaveLength(2);
    for (const who of ['builder', 'metrics', 'integration']) expect((await list('', as[who])).status, who).toBe(403);
    // Another's run is not reached through a cursor either: the cursor only pages the reader's own.
    expect((await list(`?before=${petes[0]}`, as.olga)).body.items.map((r: { id: string }) => r.id)).toEqual(
      olgas.filter((id) => id < petes[0]!).reverse(),
    );
  });

  it('a cursor that is not an id, and hostile or repeated values, are a 422 naming the field', async () => {
    for (const before of ["' OR 1=1 --", 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '%', '\u0000', 'x'.repeat(101), '1', ''])
      expect(fields(await list(`?before=${encodeURIComponent(before)}`, as.admin)), JSON.stringify(before)).toEqual(['before']);
    for (const limit of ['0', '201', '-1', '1.5', 'abc', '1e3', ''])
      expect(fields(await list(`?limit=${limit}`, as.admin)), limit).toEqual(['limit']);
    expect((await list(`?createdBy=${'x'.repeat(201)}`, as.admin)).status).toBe(422);
    expect((await list('?createdBy=', as.admin)).status).toBe(422);
    expect((await list('?limit=1&limit=2', as.admin)).status).toBe(422);
    expect((await list('?createdBy=olga&createdBy=pete', as.admin)).status).toBe(422);
    expect((await list('?__proto__=1', as.admin)).status).toBe(422);
    // SQL-ish text is only a name: no one's runs.
    expect((await list(`?createdBy=${encodeURIComponent("olga' OR '1'='1")}`, as.admin)).body.items).toEqual([]);
    expect((await list(`?createdBy=${encodeURIComponent('%')}`, as.admin)).body.items).toEqual([]);
  });

  it('pages newest first without repeating or skipping a run while more start', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await run(as.pete));
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const r = await list(`?limit=2${next ? `&before=${next}` : ''}`, as.pete);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((x: { id: string }) => x.id));
      next = r.body.next;
      await run(as.pete);
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
  });
});
