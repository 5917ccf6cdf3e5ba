import { describe, expect, it } from 'vitest';
import { jsonProblem, jsonSize, jsonTextWithin, MAX_JSON_DEPTH } from './json-limits.ts';

const limits = { maxDepth: MAX_JSON_DEPTH, maxBytes: 3000 };
const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonTextWithin: the quick yes before walking an answer kept as the output', () => {
  it('says yes only when the parsed value passes jsonProblem', () => {
    const texts = [
      '{"ok":true,"id":"EXT-1","echo":{"a":"x"}}',
      nested(MAX_JSON_DEPTH),
      nested(MAX_JSON_DEPTH + 1),
      `"${'é'.repeat(999)}"`,
      `"${'é'.repeat(1000)}"`,
      `[${Array.from({ length: 400 }, () => '1e400').join(',')}]`,
      '"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ in a string"',
      `{"a":"${'\\u0001'.repeat(400)}"}`,
    ];
    for (const t of texts) if (jsonTextWithin(t, limits)) expect(jsonProblem(JSON.parse(t), limits), t.slice(0, 40)).toBeUndefined();
  });

  it('sends what is too deep or too large to the full check', () => {
    expect(jsonTextWithin(nested(MAX_JSON_DEPTH), limits)).toBe(true);
    expect(jsonTextWithin(nested(MAX_JSON_DEPTH + 1), limits)).toBe(false);
    expect(jsonProblem(JSON.parse(nested(MAX_JSON_DEPTH + 1)), limits)).toMatch(/nested deeper than 32 levels/);
    expect(jsonTextWithin(`"${'a'.repeat(998)}"`, limits)).toBe(true);
    expect(jsonTextWithin(`"${'a'.repeat(999)}"`, limits)).toBe(false);
  });
});

describe('jsonSize: the size of the value as compact JSON', () => {
  it('is the byte length of JSON.stringify for values parsed from JSON and for odd ones', () => {
    const big = { maxDepth: MAX_JSON_DEPTH, maxBytes: 1024 * 1024 };
    const values: unknown[] = [
      0,
      -1.5e-7,
      123456789012345680000,
      Number.MAX_VALUE,
      NaN,
      true,
      false,
      null,
      'é"\n\u0001',
      [],
      {},
      [1, [2, [3]], { a: null }],
      { 'k"é': [true, false, 1e21], b: {}, c: undefined, d: () => 1 },
      [undefined, 2],
      Array.from({ length: 11_000 }, (_, i) => i % 10),
    ];
    for (const v of values) expect(jsonSize(v, big), JSON.stringify(v)?.slice(0, 40)).toBe(Buffer.byteLength(JSON.stringify(v)));
  });

  it('refuses a value one byte over the limit, naming the limit truthfully; small numbers are not counted as large', () => {
    const limit = { maxDepth: MAX_JSON_DEPTH, maxBytes: 256 * 1024 };
    const readings = Array.from({ length: 11_000 }, (_, i) => i % 10); // about 22 KB
    expect(jsonProblem({ readings }, limit)).toBeUndefined();
    const pad = limit.maxBytes - Buffer.byteLength(JSON.stringify({ readings, pad: '' }));
    expect(jsonProblem({ readings, pad: 'x'.repeat(pad) }, limit)).toBeUndefined();
    expect(jsonProblem({ readings, pad: 'x'.repeat(pad + 1) }, limit)).toBe('is larger than 256 KB as JSON');
  });
});
