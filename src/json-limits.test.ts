import { describe, expect, it } from 'vitest';
import { jsonProblem, jsonTextWithin, MAX_JSON_DEPTH } from './json-limits.ts';

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
