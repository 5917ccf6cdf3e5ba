// Validation of launch input against an action type's fields, with ajv over the published JSON
// Schema, turning ajv's errors into messages for people ("Priority: must be an integer").

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { TemplateError } from './errors.ts';
import { typeSchema, type FieldSpec, type FieldType, type InputSchema } from './fields.ts';

export interface FieldError {
  /** The bare field name, e.g. "Priority"; "" when the input as a whole is wrong. */
  field: string;
  message: string;
}

export type InputResult = { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] };

export const TYPE_MESSAGES: Readonly<Record<FieldType, string>> = {
  string: 'must be a string',
  number: 'must be a number',
  integer: 'must be an integer',
  boolean: 'must be true or false',
  date: 'must be a date (YYYY-MM-DD)',
  datetime: 'must be a date and time with a time zone (e.g. 2024-05-01T09:30:00Z)',
  json: 'must be a JSON value',
};

// ajv-formats is CommonJS; under NodeNext its plugin is the `default` of the imported module.
const addFormats = addFormatsModule.default;

// One instance for the process: creating one costs far more than compiling a small schema. Each
// compiled schema is removed from its cache straight away, so recompiling action types does not leak.
// strictNumbers (the default, set for the reader) makes `number` refuse NaN and Infinity;
// ownProperties stops a field named like an Object.prototype member ("constructor") reading it.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictNumbers: true,
  ownProperties: true,
  coerceTypes: false,
  useDefaults: false,
});
addFormats(ajv, ['date', 'date-time']);

function compile(schema: object): ValidateFunction {
  const validate = ajv.compile(schema);
  ajv.removeSchema(schema);
  return validate;
}

const typeValidators = new Map<FieldType, ValidateFunction>();

/** Whether `value` is a valid value of `type`, by the same rules as the published schema. */
export function isValidValue(type: FieldType, value: unknown): boolean {
  if (type === 'json') return isJsonValue(value);
  let validate = typeValidators.get(type);
  if (validate === undefined) {
    validate = compile(typeSchema(type));
    typeValidators.set(type, validate);
  }
  return validate(value);
}

/** Refuses a declared default that its own field would refuse as input. */
export function checkDefaults(fields: Record<string, FieldSpec>): void {
  for (const [name, spec] of Object.entries(fields)) {
    if (spec.default !== undefined && !isValidValue(spec.type, spec.default)) {
      throw new TemplateError(`fields.${name}.default`, 0, `the default ${TYPE_MESSAGES[spec.type]}`);
    }
  }
}

/**
 * Compiles the input check for one action type. The result applies defaults, treats null as missing,
 * refuses unknown keys, never coerces ("2" is not an integer) and returns a new object.
 */
export function compileInputValidator(fields: Record<string, FieldSpec>, schema: InputSchema): (input: unknown) => InputResult {
  const validate = compile(schema);
  const specs = Object.entries(fields);
  const jsonFields = specs.filter(([, spec]) => spec.type === 'json').map(([name]) => name);

  return function validateInput(input: unknown): InputResult {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return { ok: false, errors: [{ field: '', message: 'input must be an object' }] };
    }
    const given = input as Record<string, unknown>;
    const value: Record<string, unknown> = {};
    for (const [name, spec] of specs) {
      let v = Object.hasOwn(given, name) ? given[name] : undefined;
      if (v === undefined || v === null) {
        if (spec.default === undefined) continue;
        v = cloneDefault(spec.default);
      }
      value[name] = v;
    }

    const problems = new Map<string, string>();
    if (!validate(value)) {
      for (const error of validate.errors ?? []) {
        if (error.keyword === 'required') {
          const missing = String(error.params.missingProperty);
          if (!problems.has(missing)) problems.set(missing, 'is required');
          continue;
        }
        const name = topProperty(error.instancePath);
        const spec = fields[name];
        if (spec !== undefined && !problems.has(name)) problems.set(name, TYPE_MESSAGES[spec.type]);
      }
    }
    // JSON Schema cannot tell a Date, a function or NaN from JSON inside a `json` field; a library caller can.
    for (const name of jsonFields) {
      if (Object.hasOwn(value, name) && !problems.has(name) && !isJsonValue(value[name])) {
        problems.set(name, TYPE_MESSAGES.json);
      }
    }

    const errors: FieldError[] = [];
    for (const [name] of specs) {
      const message = problems.get(name);
      if (message !== undefined) errors.push({ field: name, message });
    }
    for (const key of Object.keys(given)) {
      if (!Object.hasOwn(fields, key)) errors.push({ field: key, message: 'is not a field of this action type' });
    }
    return errors.length === 0 ? { ok: true, value } : { ok: false, errors };
  };
}

/** "/Priority/0" -> "Priority" (field names hold no '/' or '~', so no pointer unescaping is needed). */
function topProperty(instancePath: string): string {
  const slash = instancePath.indexOf('/', 1);
  return instancePath.slice(1, slash === -1 ? undefined : slash);
}

function cloneDefault(value: unknown): unknown {
  // The returned input may be changed by its caller; the action type's default must not be.
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

/** A value JSON.stringify would write faithfully: plain objects, arrays, strings, finite numbers, booleans, null. */
export function isJsonValue(value: unknown, ancestors: Set<object> = new Set()): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (ancestors.has(value)) return false;
      ancestors.add(value);
      let ok: boolean;
      if (Array.isArray(value)) {
        ok = value.every((item) => isJsonValue(item, ancestors));
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        ok = (proto === Object.prototype || proto === null) && Object.values(value).every((item) => isJsonValue(item, ancestors));
      }
      ancestors.delete(value);
      return ok;
    }
    default:
      return false;
  }
}
