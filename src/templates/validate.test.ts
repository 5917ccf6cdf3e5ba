import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import { buildInputSchema, type FieldSpec } from './fields.ts';
import { checkDefaults, compileInputValidator, isJsonValue, isValidValue } from './validate.ts';

function validatorFor(fields: Record<string, FieldSpec>) {
  return compileInputValidator(fields, buildInputSchema(fields));
}

const one = (type: FieldSpec['type']) => validatorFor({ F: { type, required: true } });

describe('input validation', () => {
  it('input that is not an object is one error with field ""', () => {
    const validate = one('string');
    for (const input of [null, undefined, 'x', 3, [], [{ F: 'x' }]]) {
      expect(validate(input)).toEqual({ ok: false, errors: [{ field: '', message: 'input must be an object' }] });
    }
  });

  it('a required field without a default must be present', () => {
    expect(one('string')({})).toEqual({ ok: false, errors: [{ field: 'F', message: 'is required' }] });
  });

  it('null counts as missing for a required field', () => {
    expect(one('json')({ F: null })).toEqual({ ok: false, errors: [{ field: 'F', message: 'is required' }] });
  });

  it('an optional field may be omitted or null; null is left out of the value', () => {
    const validate = validatorFor({ F: { type: 'integer', required: false } });
    expect(validate({})).toEqual({ ok: true, value: {} });
    expect(validate({ F: null })).toEqual({ ok: true, value: {} });
  });

  it('defaults are applied to the returned value, as copies', () => {
    const fallback = { tags: ['a'] };
    const validate = validatorFor({
      Priority: { type: 'integer', required: true, default: 3 },
      Meta: { type: 'json', required: false, default: fallback },
    });
    const result = validate({ Priority: null });
    expect(result).toEqual({ ok: true, value: { Priority: 3, Meta: { tags: ['a'] } } });
    if (result.ok) expect(result.value.Meta).not.toBe(fallback);
    expect(validate({ Priority: 1, Meta: [1] })).toEqual({ ok: true, value: { Priority: 1, Meta: [1] } });
  });

  it('the input object is not changed', () => {
    const input = { F: 'x' };
    const result = one('string')(input);
    expect(result).toEqual({ ok: true, value: { F: 'x' } });
    if (result.ok) expect(result.value).not.toBe(input);
  });

  it('an unknown key is refused as not a field of this action type', () => {
    expect(one('string')({ F: 'x', Extra: 1 })).toEqual({
      ok: false,
      errors: [{ field: 'Extra', message: 'is not a field of this action type' }],
    });
  });

  it('keys inherited from Object.prototype are neither fields nor values', () => {
    const fields: Record<string, FieldSpec> = {};
    fields['constructor'] = { type: 'string', required: true } satisfies FieldSpec;
    expect(validatorFor(fields)({})).toEqual({
      ok: false,
      errors: [{ field: 'constructor', message: 'is required' }],
    });
  });

  it('all errors are reported, in field order, unknown keys last', () => {
    const validate = validatorFor({
      Title: { type: 'string', required: true },
      Priority: { type: 'integer', required: true },
      Due: { type: 'date', required: true },
    });
    expect(validate({ Zed: 1, Due: '2024-13-01', Priority: 1.5 })).toEqual({
      ok: false,
      errors: [
        { field: 'Title', message: 'is required' },
        { field: 'Priority', message: 'must be an integer' },
        { field: 'Due', message: 'must be a date (YYYY-MM-DD)' },
        { field: 'Zed', message: 'is not a field of this action type' },
      ],
    });
  });

  const cases: Array<[FieldSpec['type'], unknown[], unknown[], string]> = [
    ['string', ['', 'x'], [1, true, {}, []], 'must be a string'],
    ['number', [0, -1.5, 1e300], ['2', true, Number.NaN, Number.POSITIVE_INFINITY], 'must be a number'],
    ['integer', [0, -7, 2.0], ['2', 2.5, true, Number.NaN], 'must be an integer'],
    ['boolean', [true, false], ['true', 0, 1], 'must be true or false'],
    ['date', ['2024-02-29', '1999-12-31'], ['2023-02-29', '2024-1-01', '2024-01-01T00:00:00Z', 20240101], 'must be a date (YYYY-MM-DD)'],
    [
      'datetime',
      ['2024-05-01T09:30:00Z', '2024-05-01T09:30:00.123+02:00'],
      ['2024-05-01', '2024-05-01T09:30:00', '2024-05-01T25:00:00Z', 1714555800000],
      'must be a date and time with a time zone (e.g. 2024-05-01T09:30:00Z)',
    ],
    ['json', ['s', 1, true, { a: [1, { b: null }] }, []], [new Date(), () => 1, { a: Number.NaN }, [undefined]], 'must be a JSON value'],
  ];

  for (const [type, good, bad, message] of cases) {
    it(`a ${type} field accepts valid values and refuses others with "${message}" (no coercion)`, () => {
      const validate = one(type);
      for (const value of good) expect(validate({ F: value }), String(value)).toEqual({ ok: true, value: { F: value } });
      for (const value of bad) expect(validate({ F: value }), String(value)).toEqual({ ok: false, errors: [{ field: 'F', message }] });
    });
  }
});

describe('defaults', () => {
  it('a default that does not match its type is a TemplateError at fields.<Name>.default', () => {
    let error: unknown;
    try {
      checkDefaults({ Priority: { type: 'integer', required: true, default: 'high' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({ location: 'fields.Priority.default', reason: 'the default must be an integer' });
  });

  it('matching defaults pass, including a date default', () => {
    expect(() =>
      checkDefaults({
        Due: { type: 'date', required: false, default: '2024-01-31' },
        Meta: { type: 'json', required: false, default: { a: 1 } },
      }),
    ).not.toThrow();
    expect(() => checkDefaults({ Due: { type: 'date', required: false, default: '2024-02-31' } })).toThrow(TemplateError);
  });

  it('single values are checked by the same rules as input', () => {
    expect(isValidValue('integer', 2)).toBe(true);
    expect(isValidValue('integer', '2')).toBe(false);
    expect(isJsonValue({ a: [1, 'x', null, { b: true }] })).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(isJsonValue(cyclic)).toBe(false);
  });
});
