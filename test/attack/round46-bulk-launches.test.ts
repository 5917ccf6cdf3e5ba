// Round 46, outside review: bulk launches (POST /v1/bulk-launches, JSON rows and text/csv; GET with
// paging) as a hostile or careless integrator. Tests not marked "holds" failed until the product was fixed; the
// others pin what held up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
const send = (path: string, type: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  h.api('POST', path, body, { 'content-type': type, ...headers });
const casesOf = async (process: string): Promise<Array<{ data: Record<string, unknown> }>> =>
  (await h.api('GET', `/v1/cases?process=${process}&limit=500`)).body.items;

describe('bulk launches under attack', () => {
  beforeAll(async () => {
    h = await startHarness();
    await connector(h);
    await actionType(h, {
      name: 'ticket',
      path: '/ok',
      body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
      fields: { Priority: { type: 'integer' } },
    });
    for (const name of ['be', 'le'])
      expect((await h.api('POST', '/v1/processes', { name, steps: [{ name: 'a', kind: 'manual', title: 'x' }] })).status).toBe(201);
  });
  afterAll(async () => h?.close());

  it('a UTF-16 big-endian CSV (with its BOM) is read as UTF-16, as a little-endian one is; one with an odd byte is refused', async () => {
    const body = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('Title\nHello\n', 'utf16le').swap16()]);
    const r = await send('/v1/bulk-launches?process=be', 'text/csv', body);
    expect(r.status).toBe(201);
    expect((await casesOf('be')).map((c) => c.data)).toEqual([{ Title: 'Hello' }]);
    const odd = await send('/v1/bulk-launches?process=be', 'text/csv', Buffer.concat([body, Buffer.from([0x41])]));
    expect([odd.status, odd.body.detail]).toEqual([400, 'The file is not UTF-16: it has an odd number of bytes']);
    expect(await casesOf('be')).toHaveLength(1);
  });

  it('holds: UTF-16 little-endian with its BOM reads as the same text', async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Title\nHello\n', 'utf16le')]);
    expect((await send('/v1/bulk-launches?process=le', 'text/csv', body)).status).toBe(201);
    expect((await casesOf('le')).map((c) => c.data)).toEqual([{ Title: 'Hello' }]);
  });

  it('the same small launch sent twice at once with one Idempotency-Key: the repeat answers the first report (done, every row), not a "running" report with finishedAt null', async () => {
    const body = `Title,Priority\n${Array.from({ length: 50 }, (_, i) => `T${i},${i}`).join('\n')}\n`;
    const rs = await Promise.all(
      [1, 2].map(() => send('/v1/bulk-launches?actionType=ticket', 'text/csv', body, { 'idempotency-key': 'twice-at-once' })),
    );
    expect(rs.map((r) => r.status).sort()).toEqual([200, 201]);
    const [first, repeat] = rs[0]!.status === 201 ? rs : [rs[1]!, rs[0]!];
    expect(repeat!.body.id).toBe(first!.body.id);
    expect(first!.body.status).toBe('done');
    // SPEC 10.1: "A bulk launch repeated with the same Idempotency-Key returns the first report".
    expect(repeat!.body).toEqual(first!.body);
    // And nothing launched twice.
    expect((await h.api('GET', `/v1/bulk-launches/${first!.body.id}`)).body.launched).toBe(50);
  });

  it('holds: CSV oddities are read or refused cleanly (BOM, quoted newlines, extra columns, unclosed quote, huge record, 501 columns)', async () => {
    const ok = await send('/v1/bulk-launches?actionType=ticket', 'text/csv', '\uFEFF"Title","Priority"\r\n"multi\nline","7"\r\n');
    expect(ok.status).toBe(201);
    expect(ok.body.launched).toBe(1);
    const extra = await send('/v1/bulk-launches?actionType=ticket', 'text/csv', 'Title,Priority\nA,1,extra\n');
    expect(extra.body.rows[0]).toEqual({ row: 1, status: 'refused', errors: [{ field: '', message: 'has 3 columns; the header has 2' }] });
    for (const [body, field] of [
      ['Title,Priority\n"unterminated,1\n', 'body'],
      [`Title,Priority\n${'x'.repeat(1_100_000)},1\n`, 'body'],
      [`${Array.from({ length: 501 }, (_, i) => `c${i}`).join(',')}\n`, 'header'],
      ['', 'header'],
    ] as const) {
      const r = await send('/v1/bulk-launches?actionType=ticket', 'text/csv', body);
      expect(r.status, body.slice(0, 30)).toBe(422);
      expect(r.body.errors[0].field).toBe(field);
    }
  });

  it('holds: paging refuses bad afterRow/limit with a 4xx and another body under the same key is a 409', async () => {
    const r = await h.api(
      'POST',
      '/v1/bulk-launches',
      { actionType: 'ticket', rows: [{ Title: 'a', Priority: 1 }] },
      { 'idempotency-key': 'k409' },
    );
    expect(r.status).toBe(201);
    for (const q of ['limit=0', 'limit=10001', 'limit=-1', 'afterRow=x', 'afterRow=1e3', 'limit=1&limit=2'])
      expect((await h.api('GET', `/v1/bulk-launches/${r.body.id}?${q}`)).status, q).toBeGreaterThanOrEqual(400);
    const other = await h.api(
      'POST',
      '/v1/bulk-launches',
      { actionType: 'ticket', rows: [{ Title: 'b', Priority: 1 }] },
      { 'idempotency-key': 'k409' },
    );
    expect(other.status).toBe(409);
  });
});
