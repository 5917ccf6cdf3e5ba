import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import { createLogger } from '../logger.ts';
import { MAX_DETAIL_CHARS, MAX_PROBLEM_FIELDS, errorHandler, problem } from './problem.ts';

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

describe('validation problems', () => {
  async function refused(body: unknown): Promise<Array<{ field: string; message: string }>> {
    const app = Fastify({ ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false } } });
    app.setErrorHandler(errorHandler(createLogger({ level: 'silent' })));
    const word = Type.Union([Type.Literal('a'), Type.Literal('b')]);
    const schema = Type.Object({
      description: Type.Optional(Type.Union([Type.String({ maxLength: 3 }), Type.Null()])),
      integration: Type.Optional(Type.Union([Type.Object({ connector: Type.String() }), Type.Null()])),
      word: Type.Optional(word),
    });
    app.post('/x', { schema: { body: schema } }, async () => ({ ok: true }));
    const r = await app.inject({ method: 'POST', url: '/x', payload: body as Record<string, unknown> });
    await app.close();
    return r.statusCode === 200 ? [] : (r.json() as { errors: Array<{ field: string; message: string }> }).errors;
  }

  it("a nullable field says its own rule once, not 'must be null' and 'must match a schema in anyOf' beside it", async () => {
    expect(await refused({ description: null, integration: null })).toEqual([]);
    expect(await refused({ description: 'long', integration: {}, word: 'c' })).toEqual([
      { field: 'description', message: 'must NOT have more than 3 characters' },
      { field: 'integration.connector', message: 'is required' },
      { field: 'word', message: 'must be one of a, b' },
    ]);
  });
});
