import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Fastify, { type FastifyRequest } from 'fastify';
import { MAX_PIECE_BYTES, parseSlicedObject } from './sliced-json.ts';
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
      '{"rows":[tru]}',
      '{"a":1,}',
    ]) {
      const e = (await refusal(text)) as { statusCode?: number };
      expect(e.statusCode, text).toBe(400);
    }
  });

  it('refuses a list as the schema refuses a small one: 422, the body must be an object', async () => {
    for (const text of ['[1,2]', ' \n[{"rows":[]}]', '\uFEFF[]']) {
      const e = (await refusal(text)) as ValidationError;
      expect(e, text).toBeInstanceOf(ValidationError);
      expect(e.errors, text).toEqual([{ field: '', message: 'must be object' }]);
    }
  });

  it('refuses a byte order mark anywhere but before the body, as JSON.parse does (the piece parser would skip it)', async () => {
    for (const text of ['{"rows":[\uFEFF{"a":1}]}', '{"actionType":\uFEFF"t","rows":[]}', '{"rows":\uFEFF[1]}', '{"rows":[1,\uFEFF2]}']) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(((await refusal(text)) as { statusCode?: number }).statusCode, text).toBe(400);
    }
  });

  it('keeps a member named constructor for the schema to refuse, as a small body is', async () => {
    expect(await sliced('{"constructor":1,"rows":[]}')).toEqual({ constructor: 1, rows: [] });
  });

  it('refuses one row or member larger than it reads in one go, without reading it: one 48 MB row would hold the loop as the whole body did', async () => {
    const big = `{"Title":"${'x'.repeat(MAX_PIECE_BYTES)}"}`;
    for (const [text, field] of [
      [`{"actionType":"t","rows":[{"a":1},${big}]}`, 'rows'],
      [`{"actionType":"t","rows":[[${'1,'.repeat(MAX_PIECE_BYTES)}1]]}`, 'rows'],
      [`{"actionType":"t","rows":{"a":${big}}}`, 'rows'],
      [`{"actionType":"${'t'.repeat(MAX_PIECE_BYTES)}","rows":[]}`, 'actionType'],
    ] as const) {
      const e = await refusal(text);
      expect(e, text.slice(0, 40)).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).errors).toEqual([
        { field, message: 'is more than 1024 KB of JSON text (a row or member is read in one go)' },
      ]);
    }
    // A row of exactly the largest size is read.
    const exact = `{"T":"${'y'.repeat(MAX_PIECE_BYTES - 8)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_PIECE_BYTES);
    expect(((await sliced(`{"rows":[${exact}, 1]}`)).rows as unknown[]).length).toBe(2);
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

describe('against JSON.parse, on generated bodies', () => {
  /** Accepted with the same value by both, or refused by both (a leading byte order mark aside). */
  const agree = async (text: string): Promise<void> => {
    let expected: unknown;
    let refused = false;
    try {
      // A byte order mark before the body is skipped, as the server's parser skips it on any body.
      expected = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
    } catch {
      refused = true;
    }
    const isObject = !refused && typeof expected === 'object' && expected !== null && !Array.isArray(expected);
    let got: unknown;
    let error: unknown;
    try {
      got = await sliced(text);
    } catch (e) {
      error = e;
    }
    // Prototype keys are refused by the server's parser on purpose (secure-json-parse), on both paths.
    if (isObject && !text.includes('__proto__') && !text.includes('prototype')) expect(error, text).toBeUndefined();
    if (error === undefined) expect(got, text).toEqual(expected);
    if (refused) expect(error, text).toBeDefined();
  };

  it('reads every generated body as JSON.parse does, and refuses every mutated one JSON.parse refuses', async () => {
    const body = fc.record(
      { actionType: fc.string(), rows: fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 8 }), other: fc.jsonValue({ maxDepth: 3 }) },
      { requiredKeys: [] },
    );
    const spacing = fc.constantFrom(undefined, 1, 2, '\t');
    await fc.assert(
      fc.asyncProperty(body, spacing, async (b, sp) => agree(JSON.stringify(b, null, sp))),
      { numRuns: 500 },
    );
    // One byte changed, added or removed anywhere: the text is then mostly not JSON, sometimes other JSON.
    const mutated = fc
      .tuple(body, fc.nat(), fc.constantFrom('', ',', ']', '}', '[', '{', '"', ':', ' ', '\\', '\uFEFF', 'x', '1'), fc.boolean())
      .map(([b, at, c, replace]) => {
        const t = JSON.stringify(b);
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(replace ? i + 1 : i);
      });
    await fc.assert(fc.asyncProperty(mutated, agree), { numRuns: 2000 });
  });
});
