// The bulk launch report: the SPEC 10.1 shape, progress while running, row order.

import { describe, expect, it } from 'vitest';
import { BulkReportBuilder } from './report.ts';

describe('BulkReportBuilder', () => {
  it('builds the SPEC 10.1 report', () => {
    const b = new BulkReportBuilder('blk_1');
    b.launched(1, 'act_1');
    b.refused(2, [{ field: 'Priority', message: 'must be an integer' }]);
    expect(b.finish()).toEqual({
      id: 'blk_1',
      status: 'done',
      total: 2,
      launched: 1,
      refused: 1,
      rows: [
        { row: 1, status: 'launched', id: 'act_1' },
        { row: 2, status: 'refused', errors: [{ field: 'Priority', message: 'must be an integer' }] },
      ],
    });
  });

  it('is readable as progress while running, and a read is a copy', () => {
    const b = new BulkReportBuilder('blk_1');
    b.launched(1, 'a');
    const early = b.report();
    b.launched(2, 'b');
    expect(early).toMatchObject({ status: 'running', total: 1, launched: 1 });
    expect(b.report()).toMatchObject({ status: 'running', total: 2, launched: 2 });
  });

  it('lists rows in row order when batches finish out of order', () => {
    const b = new BulkReportBuilder('blk_1');
    b.launched(3, 'c');
    b.launched(1, 'a');
    b.refused(2, []);
    expect(b.finish().rows.map((r) => r.row)).toEqual([1, 2, 3]);
  });

  it('refuses a row twice, a row 0, and rows after finish', () => {
    const b = new BulkReportBuilder('blk_1');
    b.launched(1, 'a');
    expect(() => b.launched(1, 'again')).toThrow('already in the report');
    expect(() => b.launched(0, 'x')).toThrow('count from 1');
    b.finish();
    expect(() => b.launched(2, 'late')).toThrow('is finished');
  });
});
