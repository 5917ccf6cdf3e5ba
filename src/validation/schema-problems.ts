// A TypeBox schema's refusals as the API's problems: field paths as the rest of the project writes them
// (`events[2]`, `integration.onAssign`), messages in its words. For checks outside a route's own
// validation (an import's entries, a body checked after merging).

import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { Problems } from '../errors.ts';
import { fieldPath } from './field-path.ts';

/** Adds to `p` every field of `body` that `schema` refuses, one problem per field, in the API's words. */
export function schemaProblems(schema: TSchema, body: unknown, p: Problems): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return p.add('', 'the body must be a JSON object');
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, body)) {
    const field = fieldPath(e.path, body);
    // A missing field is also "not a string": one problem per field, the first said.
    if (seen.has(field)) continue;
    seen.add(field);
    p.add(field, messageOf(e));
  }
}

/** TypeBox's error in the words of the rest of the API. */
function messageOf(e: ValueError): string {
  const sc = e.schema as { minItems?: number; maxItems?: number; maxLength?: number };
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known field';
    case ValueErrorType.ObjectMinProperties:
      return 'send at least one field to change';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${sc.maxLength} characters`;
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.ArrayMinItems:
      return `must list at least ${sc.minItems}`;
    case ValueErrorType.ArrayMaxItems:
      return `must list at most ${sc.maxItems}`;
    case ValueErrorType.Union:
      return 'must be a string or null';
    default:
      return e.message;
  }
}
