// Cell conversion by declared field type, and JSON rows.

import { describe, expect, it } from 'vitest';
import { buildInputSchema, inferFields } from '../templates/fields.ts';
import { compileInputValidator } from '../templates/validate.ts';
import { convertCell, jsonRow } from './convert.ts';

describe('convertCell', () => {
  it('integers: "7" is 7; "seven", "7.5" and unsafe integers are refused', () => {
    expect(convertCell('integer', '7')).toEqual({ ok: true, value: 7 });
    expect(convertCell('integer', ' -12 ')).toEqual({ ok: true, value: -12 });
    expect(convertCell('integer', 'seven')).toEqual({ ok: false, message: 'must be an integer' });
    expect(convertCell('integer', '7.5').ok).toBe(false);
    expect(convertCell('integer', '0x10').ok).toBe(false);
    expect(convertCell('integer', '99999999999999999999').ok).toBe(false);
  });

  it('numbers accept decimals and exponents, not hex, Infinity or blanks', () => {
    expect(convertCell('number', '3.25')).toEqual({ ok: true, value: 3.25 });
    expect(convertCell('number', '1e3')).toEqual({ ok: true, value: 1000 });
    for (const t of ['0x10', 'Infinity', 'NaN', '1,5', ' ']) expect(convertCell('number', t).ok).toBe(false);
  });

  it('booleans accept true/false, yes/no and 1/0 in any case', () => {
    expect(['TRUE', 'yes', '1'].map((t) => convertCell('boolean', t))).toEqual(Array(3).fill({ ok: true, value: true }));
    expect(['False', 'NO', '0'].map((t) => convertCell('boolean', t))).toEqual(Array(3).fill({ ok: true, value: false }));
    expect(convertCell('boolean', 'maybe').ok).toBe(false);
  });

  it('dates and datetimes are checked and kept as text', () => {
    expect(convertCell('date', '2026-05-01')).toEqual({ ok: true, value: '2026-05-01' });
    expect(convertCell('date', '01/05/2026').ok).toBe(false);
    expect(convertCell('datetime', '2026-05-01T09:30:00Z')).toEqual({ ok: true, value: '2026-05-01T09:30:00Z' });
    expect(convertCell('datetime', '2026-05-01 09:30').ok).toBe(false);
  });

  it('json is parsed; strings keep their spaces', () => {
    expect(convertCell('json', '[1, {"a": null}]')).toEqual({ ok: true, value: [1, { a: null }] });
    expect(convertCell('json', '{a}').ok).toBe(false);
    // Refused at any depth, as a JSON body with one is.
    for (const cell of ['{"__proto__": {"x": 1}}', '[1, {"a": {"__proto__": null}}]', '{"constructor": {"prototype": {"x": 1}}}'])
      expect(convertCell('json', cell)).toEqual({ ok: false, message: expect.stringContaining('__proto__ or constructor.prototype') });
    expect(convertCell('json', '{"constructor": "a", "proto": 1}')).toEqual({ ok: true, value: { constructor: 'a', proto: 1 } });
    expect(convertCell('string', '  padded ')).toEqual({ ok: true, value: '  padded ' });
  });
});

describe('jsonRow', () => {
  const fields = inferFields([], { Title: { type: 'string' }, Priority: { type: 'integer', default: 3 } });
  const target = { fields, validate: compileInputValidator(fields, buildInputSchema(fields)) };

  it('validates typed rows and applies defaults', () => {
    expect(jsonRow(1, { Title: 'A' }, target)).toEqual({ row: 1, ok: true, input: { Title: 'A', Priority: 3 } });
    expect(jsonRow(2, { Title: 'A', Priority: '7' }, target)).toEqual({
      row: 2,
      ok: false,
      errors: [{ field: 'Priority', message: 'must be an integer' }],
    });
    expect(jsonRow(3, { Title: 'A', Prio: 1 }, target)).toEqual({
      row: 3,
      ok: false,
      errors: [{ field: 'Prio', message: 'is not a field of this action type' }],
    });
    expect(jsonRow(4, ['A'], target)).toEqual({
      row: 4,
      ok: false,
      errors: [{ field: '', message: 'a row must be an object of field names to values' }],
    });
  });
});
