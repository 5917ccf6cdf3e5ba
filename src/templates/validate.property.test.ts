// Properties of the input validator for any input: it never throws, and what it accepts has the
// declared type (checked here by independent rules, not by the validator's own).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildInputSchema, FIELD_TYPES, type FieldSpec, type FieldType } from './fields.ts';
import { compileInputValidator } from './validate.ts';

function isJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  if (typeof v === 'object') {
    const proto: unknown = Object.getPrototypeOf(v);
    return (proto === Object.prototype || proto === null) && Object.values(v).every(isJson);
  }
  return false;
}

const HAS: Record<FieldType, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
  datetime: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/i.test(v) && /(z|[+-]\d{2}:?\d{2})$/i.test(v),
  json: isJson,
};

/** Values near every type, plus anything at all. */
const value = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.double(),
  fc.integer(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2024-02-30', '2024-13-01', '2024-01-01T25:00:00Z', '2024-01-01T10:00:00', 'NaN', '', Number.NaN, Infinity, -0),
);

describe('compileInputValidator', () => {
  it('never throws, and every accepted value has its declared type', () => {
    const fields: Record<string, FieldSpec> = {};
    for (const type of FIELD_TYPES) fields[`F_${type}`] = { type, required: false };
    const validate = compileInputValidator(fields, buildInputSchema(fields));
    const input = fc.oneof(
      fc.anything(),
      fc.record(Object.fromEntries(FIELD_TYPES.map((t) => [`F_${t}`, value])), { requiredKeys: [] }),
      fc.dictionary(fc.string(), value),
    );
    fc.assert(
      fc.property(input, (x) => {
        const r = validate(x);
        if (!r.ok) {
          expect(r.errors.length).toBeGreaterThan(0);
          return;
        }
        for (const [k, v] of Object.entries(r.value)) {
          const type = k.slice(2) as FieldType;
          expect(FIELD_TYPES).toContain(type);
          expect(HAS[type](v), `${k} = ${String(v)}`).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
