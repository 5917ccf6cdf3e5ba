// Parse + convert + validate time of a 100,000-row CSV bulk launch body (no store, no HTTP):
// `npx tsx bench/bulk-csv.ts [rows]`. Rows are consumed one at a time, as the launcher will.

import { buildInputSchema, inferFields } from '../src/templates/fields.ts';
import { compileInputValidator } from '../src/templates/validate.ts';
import { csvRows } from '../src/bulk-launches/csv.ts';
import { BulkReportBuilder } from '../src/bulk-launches/report.ts';

const count = Number(process.argv[2] ?? 100_000);
const fields = inferFields([], {
  Title: { type: 'string' },
  Priority: { type: 'integer' },
  Urgent: { type: 'boolean' },
  Due: { type: 'date' },
  Amount: { type: 'number' },
});
const target = { fields, validate: compileInputValidator(fields, buildInputSchema(fields)) };

// The body arrives as chunks of a request stream; 64 KiB chunks here.
function* body(): Generator<string> {
  yield 'Title,Priority,Urgent,Due,Amount\n';
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    // Every 1,000th row is refused ("seven"), so the refusal path is measured too.
    chunk += `"Ticket ${i}, laptop",${i % 1000 === 0 ? 'seven' : i % 5},${i % 2 === 0},2026-05-${String((i % 28) + 1).padStart(2, '0')},${i}.5\n`;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const report = new BulkReportBuilder('bench');
let peakHeap = 0;
const started = process.hrtime.bigint();
for await (const row of csvRows(body(), target)) {
  if (row.ok) report.launched(row.row, `id-${row.row}`);
  else report.refused(row.row, row.errors);
  if (row.row % 10_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const r = report.finish();
console.log(
  JSON.stringify({
    rows: r.total,
    launched: r.launched,
    refused: r.refused,
    ms: Math.round(ms),
    rowsPerSecond: Math.round((r.total / ms) * 1000),
    peakHeapMB: Math.round(peakHeap / 1e6),
    node: process.version,
  }),
);
