// CSV bodies of bulk launches, parsed as a stream (csv-parse): the header line names the fields,
// then each data row is yielded converted or refused, so 100,000 rows are never one array of objects.
// A row with too many or too few columns is refused with its row number; the rest go on.

import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { ValidationError, type FieldProblem } from '../errors.ts';
import { convertRecord, type BulkRow, type RowTarget } from './convert.ts';

export interface CsvLimits {
  /** Columns in the header. @default 500 */
  maxColumns: number;
  /** Characters in one record. @default 1000000 */
  maxRecordChars: number;
}

export const DEFAULT_CSV_LIMITS: Readonly<CsvLimits> = Object.freeze({ maxColumns: 500, maxRecordChars: 1_000_000 });

export type CsvSource = string | Buffer | AsyncIterable<string | Buffer> | Iterable<string | Buffer>;

/**
 * Yields every data row of a CSV body. Throws ValidationError for a body that is not CSV at all (no
 * header, a bad header, an unclosed quote): the field is `header` or `body` and the message gives the line.
 */
export async function* csvRows(source: CsvSource, target: RowTarget, limits: CsvLimits = DEFAULT_CSV_LIMITS): AsyncGenerator<BulkRow> {
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // No `info`: a snapshot per record doubles the parse time, and rows are reported by number.
    max_record_size: limits.maxRecordChars,
  });
  // A body is fed a slice at a time: given whole, csv-parse turns all of it into records in one
  // synchronous pass (30 MB held the node 34 s and took 3 GB) before the row limit could stop it.
  const input = Readable.from(typeof source === 'string' || Buffer.isBuffer(source) ? slices(source) : source);
  // pipe() does not pass a source error on: destroy the parser with it so the loop below throws.
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);

  let header: string[] | null = null;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = checkHeader(record, target, limits);
        continue;
      }
      row += 1;
      if (record.length !== header.length) {
        const message = `has ${record.length} ${record.length === 1 ? 'column' : 'columns'}; the header has ${header.length}`;
        yield { row, ok: false, errors: [{ field: '', message }] };
        continue;
      }
      yield convertRecord(row, header, record, target);
    }
  } catch (e) {
    if (e instanceof CsvError) throw new ValidationError([{ field: 'body', message: `is not valid CSV: ${e.message}` }]);
    throw e;
  } finally {
    // A consumer that stops early (or an error) must not leave the source flowing.
    input.destroy();
    parser.destroy();
  }
  if (header === null) throw new ValidationError([{ field: 'header', message: 'is missing: the first line must name the fields' }]);
}

/** Bytes handed to the parser at a time. */
const SLICE_BYTES = 64 * 1024;

function* slices(body: string | Buffer): Generator<Buffer> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) yield bytes.subarray(at, at + SLICE_BYTES);
}

function checkHeader(names: string[], target: RowTarget, limits: CsvLimits): string[] {
  // Too many columns is said once: naming each of 100,000 columns made a 14 MB answer.
  if (names.length > limits.maxColumns)
    throw new ValidationError([{ field: 'header', message: `has ${names.length} columns, more than ${limits.maxColumns}` }]);
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  names.forEach((raw, i) => {
    const name = raw.trim();
    const field = `header[${i}]`;
    if (name === '') problems.push({ field, message: 'is empty: every column needs a field name' });
    else if (seen.has(name)) problems.push({ field, message: `${JSON.stringify(name)} appears twice` });
    // As a JSON body with a "__proto__" key is refused (it could change how the row is read): assigned
    // to a row its cells went onto the prototype and were lost. constructor and prototype are ordinary keys.
    else if (name === '__proto__')
      problems.push({ field, message: '"__proto__" cannot be a column name: it could change how each row is read; rename the column' });
    // One misspelt column would refuse every row; say it once, before launching anything.
    else if (target.fields !== null && !Object.hasOwn(target.fields, name)) {
      problems.push({ field, message: `${JSON.stringify(name)} is not a field of this action type` });
    }
    seen.add(name);
  });
  for (const [column, setting] of Object.entries(target.columns ?? {}))
    if (!seen.has(column))
      problems.push({ field: setting, message: `names the column ${JSON.stringify(column)}, which the header does not have` });
  if (problems.length > 0) throw new ValidationError(problems);
  return names.map((n) => n.trim());
}
