// Fields of an action type: inferred from the tokens of its templates, refined by declarations
// (type, required, default, description), and published as the JSON Schema of the launch input.

import { TemplateError } from './errors.ts';
import { fieldNameProblem } from './tokens.ts';

export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'json'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  type: FieldType;
  /** Whether a launch must supply the field; a field with a default may still be omitted. */
  required: boolean;
  default?: unknown;
  description?: string;
}

export type FieldDeclarations = Record<
  string,
  {
    /** @default 'string' */
    type?: FieldType;
    /** @default true */
    required?: boolean;
    default?: unknown;
    description?: string;
  }
>;

/** The published schema's dialect: draft-07, so any standard validator (ajv's default class) reads it. */
export const SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

export interface InputSchema {
  $schema: string;
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
}

const TYPE_SET: ReadonlySet<string> = new Set(FIELD_TYPES);
const DECLARATION_KEYS: ReadonlySet<string> = new Set(['type', 'required', 'default', 'description']);

export function isFieldType(value: unknown): value is FieldType {
  return typeof value === 'string' && TYPE_SET.has(value);
}

/** The JSON Schema of one value of `type`; `json` accepts any JSON value. */
export function typeSchema(type: FieldType): Record<string, unknown> {
  switch (type) {
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'json':
      return {};
    default:
      return { type };
  }
}

/**
 * Fields in order of first appearance in the templates, then declared-only fields (kept: response
 * mapping may use them). Every field is a required string unless declared otherwise. Defaults are
 * not checked here (that needs a validator): see checkDefaults in validate.ts.
 */
/** Most fields one action type has: as many as a CSV bulk launch has columns. */
export const MAX_FIELDS = 500;

export function inferFields(
  tokenNames: Iterable<string>,
  declared: FieldDeclarations = {},
  maxFields = Number.POSITIVE_INFINITY,
): Record<string, FieldSpec> {
  if (declared === null || typeof declared !== 'object' || Array.isArray(declared)) {
    throw new TemplateError('fields', 0, 'must be an object of field declarations, e.g. { "Priority": { "type": "integer" } }');
  }
  // Each field is a property of the input's JSON Schema, compiled on the event loop: 50,000 took 34 s.
  // Bounded where a definition is saved (MAX_FIELDS); one stored before the bound still loads.
  const count = new Set([...tokenNames, ...Object.keys(declared)]).size;
  if (count > maxFields)
    throw new TemplateError('fields', 0, `has ${count} fields (tokens and declarations); an action type takes at most ${maxFields}`);
  const fields: Record<string, FieldSpec> = {};
  for (const name of tokenNames) {
    if (!Object.hasOwn(fields, name)) fields[name] = { type: 'string', required: true };
  }
  for (const [name, declaration] of Object.entries(declared)) {
    fields[name] = compileDeclaration(name, declaration);
  }
  // Re-insert in appearance order: declared-only fields after the ones found in templates.
  const ordered: Record<string, FieldSpec> = {};
  for (const name of tokenNames) ordered[name] = fields[name]!;
  for (const name of Object.keys(declared)) ordered[name] = fields[name]!;
  return ordered;
}

function compileDeclaration(name: string, declaration: unknown): FieldSpec {
  const at = `fields.${name}`;
  const nameProblem = fieldNameProblem(name);
  if (nameProblem !== undefined) throw new TemplateError(at, 0, nameProblem);
  if (declaration === null || typeof declaration !== 'object' || Array.isArray(declaration)) {
    throw new TemplateError(at, 0, 'must be an object, e.g. { "type": "integer", "required": false }');
  }
  const d = declaration as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    // A misspelt "requried" silently ignored would make a field required that the author meant optional.
    if (!DECLARATION_KEYS.has(key)) {
      throw new TemplateError(`${at}.${key}`, 0, 'unknown property: a field declares type, required, default and description');
    }
  }
  const spec: FieldSpec = { type: 'string', required: true };
  if (d.type !== undefined) {
    if (!isFieldType(d.type)) {
      throw new TemplateError(`${at}.type`, 0, `unknown type ${JSON.stringify(d.type)}: use one of ${FIELD_TYPES.join(', ')}`);
    }
    spec.type = d.type;
  }
  if (d.required !== undefined) {
    if (typeof d.required !== 'boolean') throw new TemplateError(`${at}.required`, 0, 'must be true or false');
    spec.required = d.required;
  }
  if (d.default !== undefined) spec.default = d.default;
  if (d.description !== undefined) {
    if (typeof d.description !== 'string') throw new TemplateError(`${at}.description`, 0, 'must be a string');
    spec.description = d.description;
  }
  return spec;
}

/** Whether a launch must supply the field: required and without a default to fall back on. */
export function mustBeSupplied(spec: FieldSpec): boolean {
  return spec.required && spec.default === undefined;
}

export function buildInputSchema(fields: Record<string, FieldSpec>): InputSchema {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const property = typeSchema(spec.type);
    if (spec.description !== undefined) property.description = spec.description;
    if (spec.default !== undefined) property.default = spec.default;
    properties[name] = property;
    if (mustBeSupplied(spec)) required.push(name);
  }
  return { $schema: SCHEMA_DIALECT, type: 'object', properties, required, additionalProperties: false };
}
