import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import { buildInputSchema, inferFields, SCHEMA_DIALECT, typeSchema, type FieldDeclarations } from './fields.ts';

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('fields', () => {
  it('every parsed field is a required string unless declared', () => {
    expect(inferFields(['Queue', 'Title'])).toEqual({
      Queue: { type: 'string', required: true },
      Title: { type: 'string', required: true },
    });
  });

  it('a declaration sets type, required, default and description of a parsed field', () => {
    const fields = inferFields(['Title', 'Priority'], {
      Priority: { type: 'integer', required: false, default: 3, description: '1 (urgent) to 5' },
    });
    expect(fields.Priority).toEqual({ type: 'integer', required: false, default: 3, description: '1 (urgent) to 5' });
  });

  it('fields keep the order of first appearance; declared-only fields come after and are kept', () => {
    const fields = inferFields(['B', 'A'], { Extra: { type: 'json' }, A: { type: 'number' } });
    expect(Object.keys(fields)).toEqual(['B', 'A', 'Extra']);
    expect(fields.Extra).toEqual({ type: 'json', required: true });
  });

  it('a declared type not in the list is a TemplateError at fields.<Name>.type', () => {
    const error = errorOf(() => inferFields(['Due'], { Due: { type: 'timestamp' } } as unknown as FieldDeclarations));
    expect(error.location).toBe('fields.Due.type');
    expect(error.reason).toMatch(/unknown type "timestamp": use one of string, number, integer, boolean, date, datetime, json/);
  });

  it('a misspelt declaration property is refused rather than ignored', () => {
    const error = errorOf(() => inferFields([], { A: { requried: false } } as unknown as FieldDeclarations));
    expect(error.location).toBe('fields.A.requried');
  });

  it('required must be a boolean and description a string', () => {
    expect(errorOf(() => inferFields([], { A: { required: 'no' } } as unknown as FieldDeclarations)).location).toBe('fields.A.required');
    expect(errorOf(() => inferFields([], { A: { description: 1 } } as unknown as FieldDeclarations)).location).toBe('fields.A.description');
  });

  it('a declared name must be a valid field name and not a system token', () => {
    expect(errorOf(() => inferFields([], { 'a b': {} })).location).toBe('fields.a b');
    expect(errorOf(() => inferFields([], { $caseId: {} })).reason).toMatch(/system tokens/);
  });

  it('each type has its JSON Schema', () => {
    expect(typeSchema('string')).toEqual({ type: 'string' });
    expect(typeSchema('number')).toEqual({ type: 'number' });
    expect(typeSchema('integer')).toEqual({ type: 'integer' });
    expect(typeSchema('boolean')).toEqual({ type: 'boolean' });
    expect(typeSchema('date')).toEqual({ type: 'string', format: 'date' });
    expect(typeSchema('datetime')).toEqual({ type: 'string', format: 'date-time' });
    expect(typeSchema('json')).toEqual({});
  });

  it('the published schema lists properties, the fields a launch must supply, and no others', () => {
    const schema = buildInputSchema({
      Title: { type: 'string', required: true, description: 'Short summary' },
      Priority: { type: 'integer', required: true, default: 3 },
      Note: { type: 'string', required: false },
    });
    expect(schema).toEqual({
      $schema: SCHEMA_DIALECT,
      type: 'object',
      properties: {
        Title: { type: 'string', description: 'Short summary' },
        Priority: { type: 'integer', default: 3 },
        Note: { type: 'string' },
      },
      required: ['Title'],
      additionalProperties: false,
    });
  });
});
