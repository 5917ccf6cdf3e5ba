// The bulk launch report (SPEC 10.1): `{ id, total, launched, refused, rows }`, built row by row as
// rows are launched or refused, readable as progress while the launch runs.

import type { FieldError } from '../templates/validate.ts';

export type BulkRowReport = { row: number; status: 'launched'; id: string } | { row: number; status: 'refused'; errors: FieldError[] };

export interface BulkReport {
  id: string;
  /** `running` while rows are still being launched; `done` once every row has a status. */
  status: 'running' | 'done';
  total: number;
  launched: number;
  refused: number;
  rows: BulkRowReport[];
}

export class BulkReportBuilder {
  private readonly rows: BulkRowReport[] = [];
  private readonly seen = new Set<number>();
  private launchedCount = 0;
  private refusedCount = 0;
  private inOrder = true;
  private finished = false;

  constructor(readonly id: string) {}

  launched(row: number, id: string): void {
    this.add({ row, status: 'launched', id });
    this.launchedCount += 1;
  }

  refused(row: number, errors: FieldError[]): void {
    this.add({ row, status: 'refused', errors });
    this.refusedCount += 1;
  }

  /** No more rows will come: the report is complete. */
  finish(): BulkReport {
    this.finished = true;
    return this.report();
  }

  /** The report so far (a copy), rows in row order. */
  report(): BulkReport {
    if (!this.inOrder) {
      // Rows launched in parallel batches may finish out of order; the report reads top to bottom.
      this.rows.sort((a, b) => a.row - b.row);
      this.inOrder = true;
    }
    return {
      id: this.id,
      status: this.finished ? 'done' : 'running',
      total: this.rows.length,
      launched: this.launchedCount,
      refused: this.refusedCount,
      rows: this.rows.slice(),
    };
  }

  private add(entry: BulkRowReport): void {
    if (this.finished) throw new Error(`bulk launch ${this.id} is finished; row ${entry.row} came after`);
    if (!Number.isInteger(entry.row) || entry.row < 1) throw new Error(`row numbers count from 1; got ${entry.row}`);
    if (this.seen.has(entry.row)) throw new Error(`row ${entry.row} is already in the report`);
    const last = this.rows[this.rows.length - 1];
    if (last !== undefined && entry.row < last.row) this.inOrder = false;
    this.seen.add(entry.row);
    this.rows.push(entry);
  }
}
