// Bulk launch rows: CSV cell text converted by the action type's declared field types ("7" is the
// integer 7, "seven" refuses the row naming the field), and the rows of a JSON body, both checked
// against the action type's input validator so a refused row says every field at fault.

import type { FieldSpec, FieldType } from '../templates/fields.ts';
import { TYPE_MESSAGES, isValidValue, type FieldError, type InputResult } from '../templates/validate.ts';
import { assertNever } from '../lifecycle/states.ts';

/** One data row of a bulk launch: `row` counts data rows from 1 (a CSV header is not a row). */
export type BulkRow = { row: number; ok: true; input: Record<string, unknown> } | { row: number; ok: false; errors: FieldError[] };

/** What rows are checked against: an action type's fields and validator, or a process (case data, kept as given). */
export interface RowTarget {
  fields: Readonly<Record<string, FieldSpec>> | null;
  validate?: (input: unknown) => InputResult;
  /** Columns a CSV header must have, each to the setting that names it (a process's titleColumn, ownerColumn). */
  columns?: Readonly<Record<string, string>>;
}

type Cell = { ok: true; value: unknown } | { ok: false; message: string };

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', '1']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'no', '0']);

/** Converts one non-empty cell to a value of `type`. Strings keep their spaces; other types are trimmed. */
export function convertCell(type: FieldType, text: string): Cell {
  const t = text.trim();
  const refuse = (message = TYPE_MESSAGES[type]): Cell => ({ ok: false, message });
  switch (type) {
    case 'string':
      return { ok: true, value: text };
    case 'integer': {
      const n = Number(t);
      if (!INTEGER.test(t)) return refuse();
      return Number.isSafeInteger(n) ? { ok: true, value: n } : refuse('must be an integer between -9007199254740991 and 9007199254740991');
    }
    case 'number': {
      const n = Number(t);
      return NUMBER.test(t) && Number.isFinite(n) ? { ok: true, value: n } : refuse();
    }
    case 'boolean': {
      const w = t.toLowerCase();
      if (TRUE_WORDS.has(w)) return { ok: true, value: true };
      if (FALSE_WORDS.has(w)) return { ok: true, value: false };
      return refuse('must be true or false (also yes/no, 1/0)');
    }
    case 'date':
    case 'datetime':
      return isValidValue(type, t) ? { ok: true, value: t } : refuse();
    case 'json': {
      let prototypeKey = false;
      let value: unknown;
      try {
        // As a JSON body's are (the API's parser), a prototype key is refused wherever it is nested.
        value = JSON.parse(t, (k, v: unknown) => {
          if (k === '__proto__' || (k === 'constructor' && typeof v === 'object' && v !== null && Object.hasOwn(v, 'prototype')))
            prototypeKey = true;
          return v;
        });
      } catch {
        return refuse('must be JSON, e.g. {"a": 1} or [1, 2] or "text"');
      }
      return prototypeKey ? refuse('has a __proto__ or constructor.prototype key, which could change how it is read') : { ok: true, value };
    }
    default:
      return assertNever(type);
  }
}

/**
 * One CSV record as input. An empty cell is no value (CSV cannot tell "" from nothing), so the
 * field's default or "is required" applies. Without fields (a process), cells stay strings.
 */
export function convertRecord(row: number, header: readonly string[], cells: readonly string[], target: RowTarget): BulkRow {
  const input: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (let i = 0; i < header.length; i++) {
    const name = header[i]!;
    const text = cells[i]!;
    if (text === '') continue;
    const spec = target.fields?.[name];
    if (spec === undefined) {
      input[name] = text;
      continue;
    }
    const cell = convertCell(spec.type, text);
    if (cell.ok) input[name] = cell.value;
    else errors.push({ field: name, message: cell.message });
  }
  return checked(row, input, errors, target);
}

/** One row of a JSON body: already typed, so only the validator's check applies. */
export function jsonRow(row: number, value: unknown, target: RowTarget): BulkRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { row, ok: false, errors: [{ field: '', message: 'a row must be an object of field names to values' }] };
  }
  return checked(row, value as Record<string, unknown>, [], target);
}

function checked(row: number, input: Record<string, unknown>, conversionErrors: FieldError[], target: RowTarget): BulkRow {
  if (target.validate === undefined) {
    return conversionErrors.length === 0 ? { row, ok: true, input } : { row, ok: false, errors: conversionErrors };
  }
  const result = target.validate(input);
  if (result.ok && conversionErrors.length === 0) return { row, ok: true, input: result.value };
  // A cell that did not convert is left out of the input, so the validator may call it missing: say the cause once.
  const converted = new Set(conversionErrors.map((e) => e.field));
  const errors = [...conversionErrors, ...(result.ok ? [] : result.errors.filter((e) => !converted.has(e.field)))];
  return { row, ok: false, errors };
}
