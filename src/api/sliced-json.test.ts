import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyRequest } from 'fastify';
import { parseSlicedObject } from './sliced-json.ts';
import { pieceParser } from './body-depth.ts';
import { CalloutError, ValidationError } from '../errors.ts';

const parse = pieceParser(Fastify().getDefaultJsonParser('error', 'error'), {} as FastifyRequest);
const sliced = (text: string): Promise<Record<string, unknown>> => parseSlicedObject(Buffer.from(text), 'rows', parse);

async function refusal(text: string): Promise<unknown> {
  try {
    await sliced(text);
  } catch (e) {
    return e;
  }
  throw new Error(`accepted: ${text.slice(0, 80)}`);
}

describe('a JSON body parsed a row at a time', () => {
  it('reads what JSON.parse reads: escapes, brackets in strings, multi-byte text, spacing, members on either side', async () => {
    const rows = [
      { Title: 'quote " and backslash \\ and "]}," inside', n: -1.5e3, ok: true, none: null },
      { Title: 'é – 漢字 🎉', nested: { a: [1, [2, { b: '}' }]], empty: {}, list: [] } },
      'a string row',
      42,
      [],
      {},
    ];
    const body = { actionType: 'ticket', rows, after: { x: [1, 2] } };
    for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2), ` \n${JSON.stringify(body, null, '\t')}\r\n `])
      expect(await sliced(text)).toEqual(JSON.parse(text));
    expect(await sliced('{"rows":[],"process":"p"}')).toEqual({ rows: [], process: 'p' });
    expect(await sliced('{}')).toEqual({});
    expect(await sliced('\uFEFF{"rows":[1]}')).toEqual({ rows: [1] });
    // A repeated member: the last one, as JSON.parse.
    expect(await sliced('{"actionType":"a","actionType":"b","rows":[1]}')).toEqual({ actionType: 'b', rows: [1] });
    // rows that is no array is parsed whole, for the schema to refuse.
    expect(await sliced('{"rows": {"a": 1}}')).toEqual({ rows: { a: 1 } });
  });

  it('refuses text that is not JSON with a 400 saying where', async () => {
    for (const text of [
      '{"rows":[1,2',
      '{"rows":[1,]}',
      '{"rows":[,1]}',
      '{"rows":[1 2]}',
      '{"rows":[{"a":1}]} extra',
      '{"rows":["unclosed]}',
      '{"rows" [1]}',
      '{rows:[1]}',
      '[1,2]',
      '{"rows":[tru]}',
      '{"a":1,}',
    ]) {
      const e = (await refusal(text)) as { statusCode?: number };
      expect(e.statusCode, text).toBe(400);
    }
  });

  it('refuses prototype keys, in a row and as a member, and rows nested past what is parsed, before parsing them', async () => {
    const proto = await refusal('{"rows":[{"__proto__":{"admin":true}}]}');
    expect(proto).toBeInstanceOf(CalloutError);
    expect((proto as CalloutError).message).toContain('__proto__');
    expect(((await refusal('{"__proto__":{"rows":1},"rows":[]}')) as { statusCode?: number }).statusCode).toBe(400);
    const deep = await refusal(`{"rows":[{"Extra":${'['.repeat(5000)}${']'.repeat(5000)}}]}`);
    expect(deep).toBeInstanceOf(ValidationError);
    expect((deep as ValidationError).errors).toEqual([{ field: 'rows', message: 'is nested deeper than 32 levels' }]);
  });

  it('gives the event loop a turn while it reads a large body', async () => {
    const text = JSON.stringify({ rows: Array.from({ length: 30_000 }, (_, i) => ({ Title: `row ${i}`.padEnd(100, '.') })) });
    expect(text.length).toBeGreaterThan(3 * 1024 * 1024);
    let turned = false;
    setImmediate(() => (turned = true));
    const out = await sliced(text);
    expect(turned).toBe(true);
    expect((out.rows as unknown[]).length).toBe(30_000);
    // A small body is read in one go.
    turned = false;
    setImmediate(() => (turned = true));
    await sliced('{"rows":[{"a":1}]}');
    expect(turned).toBe(false);
  });
});
