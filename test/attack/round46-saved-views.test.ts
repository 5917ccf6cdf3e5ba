// Round 46, outside review: saved views (/v1/views) with hostile names, queries and other people's keys.
// Tests not marked "holds" failed until the product was fixed; the others pin what held up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith } from '../ui/browser.ts';

let h: Harness;
const as: Record<string, Record<string, string>> = {};

describe('saved views under attack (round 46)', () => {
  beforeAll(async () => {
    h = await startHarness();
    for (const u of ['olga', 'pete']) expect((await h.api('POST', '/v1/users', { name: u })).status).toBe(201);
    as.olga = { authorization: `Bearer ${await keyWith(h, 'olga-key', ['operator'], 'olga')}` };
    as.pete = { authorization: `Bearer ${await keyWith(h, 'pete-key', ['operator'], 'pete')}` };
    as.builder = { authorization: `Bearer ${await keyWith(h, 'builder-key', ['builder'])}` };
  });
  afterAll(async () => h?.close());
  const view = (body: Record<string, unknown>, who = as.olga) => h.api('POST', '/v1/views', { screen: 'work', query: '', ...body }, who);

  it('one name in two Unicode spellings (NFC "école" and NFD "e\\u0301cole") is one name: the second is a 409', async () => {
    expect((await view({ name: '\u00e9cole' })).status).toBe(201);
    expect((await view({ name: 'e\u0301cole' })).status).toBe(409);
  });

  it('a name that differs from an existing one only by an invisible character is the same name (409)', async () => {
    expect((await view({ name: 'Urgent', shared: true })).status).toBe(201);
    expect((await view({ name: 'Urgent\u200b', shared: true })).status).toBe(409);
  });

  it('holds: names of only invisible characters are refused (422)', async () => {
    for (const name of ['\u200b', '\u00ad', '\ufeff', '\u200b\u200c\u200d', '\u3000', '\u115f']) {
      const r = await view({ name });
      expect(r.status, JSON.stringify(name)).toBe(422);
      expect(r.body.errors[0].field).toBe('name');
    }
  });

  it("holds: a name or id of something that does not exist in a query is a 422 naming the filter; another's personal view is a 404 to everyone else", async () => {
    for (const q of [`actionType=${encodeURIComponent('../x')}`, 'connector=%00']) {
      const r = await view({ name: `q ${q}`, query: q });
      expect(r.status, q).toBe(422);
      expect(r.body.errors[0].field).toMatch(/^query\./);
    }
    const mine = await view({ name: 'Mine', query: 'assignee=me' });
    expect(mine.status).toBe(201);
    for (const who of [as.pete, as.builder]) {
      expect((await h.api('GET', `/v1/views/${mine.body.id}`, undefined, who)).status).toBe(404);
      expect((await h.api('GET', `/v1/views/${mine.body.id}/count`, undefined, who)).status).toBe(404);
    }
  });
});
