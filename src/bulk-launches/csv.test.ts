// CSV bodies of bulk launches: header, BOM, quotes, CRLF, empty lines, column counts, typed cells.

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { buildInputSchema, inferFields, type FieldDeclarations } from '../templates/fields.ts';
import { compileInputValidator } from '../templates/validate.ts';
import type { BulkRow, RowTarget } from './convert.ts';
import { csvRows } from './csv.ts';

function targetOf(declared: FieldDeclarations): RowTarget {
  const fields = inferFields([], declared);
  return { fields, validate: compileInputValidator(fields, buildInputSchema(fields)) };
}

const ticket = targetOf({
  Title: { type: 'string' },
  Priority: { type: 'integer' },
  Urgent: { type: 'boolean', required: false },
  Due: { type: 'date', required: false },
  Extra: { type: 'json', required: false },
});

async function all(source: Parameters<typeof csvRows>[0], target: RowTarget = ticket): Promise<BulkRow[]> {
  const rows: BulkRow[] = [];
  for await (const r of csvRows(source, target)) rows.push(r);
  return rows;
}

async function refusal(source: string, target: RowTarget = ticket): Promise<unknown> {
  try {
    await all(source, target);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors;
    throw e;
  }
  throw new Error('expected the CSV to be refused');
}

describe('csvRows', () => {
  it('turns each data row into typed input, counting rows from 1 after the header', async () => {
    const rows = await all('Title,Priority,Urgent,Due,Extra\nLaptop,7,yes,2026-05-01,"{""a"": 1}"\nPhone,2,false,,\n');
    expect(rows).toEqual([
      { row: 1, ok: true, input: { Title: 'Laptop', Priority: 7, Urgent: true, Due: '2026-05-01', Extra: { a: 1 } } },
      { row: 2, ok: true, input: { Title: 'Phone', Priority: 2, Urgent: false } },
    ]);
  });

  it('refuses a row whose cell does not convert, naming the field, and goes on with the next', async () => {
    const rows = await all('Title,Priority\nLaptop,seven\nPhone,3\n');
    expect(rows).toEqual([
      { row: 1, ok: false, errors: [{ field: 'Priority', message: 'must be an integer' }] },
      { row: 2, ok: true, input: { Title: 'Phone', Priority: 3 } },
    ]);
  });

  it('reports every bad field of a row, including a missing required one', async () => {
    const rows = await all('Title,Priority,Urgent,Due,Extra\n,1.5,maybe,2026-02-30,{oops\n');
    expect(rows[0]).toEqual({
      row: 1,
      ok: false,
      errors: [
        { field: 'Priority', message: 'must be an integer' },
        { field: 'Urgent', message: 'must be true or false (also yes/no, 1/0)' },
        { field: 'Due', message: 'must be a date (YYYY-MM-DD)' },
        { field: 'Extra', message: expect.stringContaining('must be JSON') },
        { field: 'Title', message: 'is required' },
      ],
    });
  });

  it('reads a BOM, CRLF line ends, quoted commas, quotes and line breaks, and skips empty lines', async () => {
    const csv = '\uFEFFTitle,Priority\r\n"Laptop, 14""",1\r\n\r\n"Two\r\nlines",2\r\n\r\n';
    expect(await all(csv)).toEqual([
      { row: 1, ok: true, input: { Title: 'Laptop, 14"', Priority: 1 } },
      { row: 2, ok: true, input: { Title: 'Two\r\nlines', Priority: 2 } },
    ]);
  });

  it('refuses a row with too many or too few columns, with its row number', async () => {
    const rows = await all('Title,Priority\nA,1\nB,2,extra\n\nC\nD,4\n');
    expect(rows).toEqual([
      { row: 1, ok: true, input: { Title: 'A', Priority: 1 } },
      { row: 2, ok: false, errors: [{ field: '', message: 'has 3 columns; the header has 2' }] },
      { row: 3, ok: false, errors: [{ field: '', message: 'has 1 column; the header has 2' }] },
      { row: 4, ok: true, input: { Title: 'D', Priority: 4 } },
    ]);
  });

  it('refuses a header with an unknown, empty or repeated column before yielding any row', async () => {
    expect(await refusal('Title,Prio,,Title\nA,1,2,3\n')).toEqual([
      { field: 'header[1]', message: '"Prio" is not a field of this action type' },
      { field: 'header[2]', message: 'is empty: every column needs a field name' },
      { field: 'header[3]', message: '"Title" appears twice' },
    ]);
  });

  it('refuses an empty body and an unclosed quote', async () => {
    expect(await refusal('')).toEqual([{ field: 'header', message: 'is missing: the first line must name the fields' }]);
    expect(await refusal('Title,Priority\n"open,1\n')).toEqual([{ field: 'body', message: expect.stringContaining('is not valid CSV') }]);
  });

  it('for a process, columns become case data keys and cells stay text', async () => {
    const rows = await all('name,age\nSam,41\n', { fields: null });
    expect(rows).toEqual([{ row: 1, ok: true, input: { name: 'Sam', age: '41' } }]);
  });

  it('reads a stream of chunks split anywhere, even inside a quoted value', async () => {
    async function* chunks() {
      yield Buffer.from('Title,Prio');
      yield 'rity\n"Lap';
      yield 'top",5\n';
    }
    expect(await all(chunks())).toEqual([{ row: 1, ok: true, input: { Title: 'Laptop', Priority: 5 } }]);
  });

  it('reads a body given whole a slice at a time, every row whole whichever slice boundary falls inside its "é" (two bytes)', async () => {
    const rows = await all(Buffer.from(`Title,Priority\n${'é,1\n'.repeat(70_000)}`));
    expect(rows).toHaveLength(70_000);
    expect(rows.every((r) => r.ok && r.input.Title === 'é')).toBe(true);
  });

  it('says once that a header has too many columns', async () => {
    expect(await refusal(`${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n`)).toEqual([
      { field: 'header', message: 'has 100000 columns, more than 500' },
    ]);
  });

  it('stops reading when the consumer stops early', async () => {
    const lines = ['Title,Priority', ...Array.from({ length: 1000 }, (_, i) => `T${i},${i}`)].join('\n');
    const seen: number[] = [];
    for await (const r of csvRows(lines, ticket)) {
      seen.push(r.row);
      if (r.row === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
  });
});
