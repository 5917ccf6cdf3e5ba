import { describe, expect, it } from 'vitest';
import { MAX_DETAIL_CHARS, MAX_PROBLEM_FIELDS, problem } from './problem.ts';

describe('problem', () => {
  it('names at most 100 fields and says how many more there were; a long detail is cut, saying its length', () => {
    const errors = Array.from({ length: 60_000 }, (_, i) => ({ field: `connectors[${i}].name`, message: 'is required' }));
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    const p = problem('VALIDATION_FAILED', detail, errors);
    expect(p.errors).toHaveLength(MAX_PROBLEM_FIELDS + 1);
    expect(p.errors!.at(-1)).toEqual({ field: '', message: 'and 59900 more problems' });
    expect(p.detail).toHaveLength(MAX_DETAIL_CHARS + ` (${detail.length} characters in all)`.length + 1);
    expect(p.detail.endsWith(`… (${detail.length} characters in all)`)).toBe(true);
    expect(JSON.stringify(p).length).toBeLessThan(20_000);
    // One field named by a key the client sent is cut too.
    const long = problem('VALIDATION_FAILED', 'x', [{ field: `a${'k'.repeat(100_000)}`, message: 'is not a known field' }]);
    expect(long.errors![0]!.field).toHaveLength(500 + '… (100001 characters in all)'.length);
    // Within the bounds, unchanged.
    expect(problem('NOT_FOUND', 'Action "x" does not exist', [{ field: 'id', message: 'no' }])).toMatchObject({
      detail: 'Action "x" does not exist',
      errors: [{ field: 'id', message: 'no' }],
    });
  });
});
