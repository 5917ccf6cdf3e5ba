import { describe, expect, it } from 'vitest';
import { requestHash } from '../ids.ts';
import { jsonBodyHash } from './request-hash.ts';

describe('jsonBodyHash', () => {
  it('is requestHash of the whole body: built in chunks of rows, it matches hashes stored from whole bodies', async () => {
    const rows = Array.from({ length: 4_321 }, (_, i) => ({
      z: i,
      Title: `row ${i} é \u{1F600} "quoted" \\ \n`,
      nested: { b: [{ y: 1, x: null }], a: true },
    }));
    for (const body of [
      { actionType: 'ticket', rows },
      { rows, process: 'onboarding' },
      { actionType: 'ticket', rows: [] },
      { rows: [{}], actionType: 'x' },
    ])
      expect(await jsonBodyHash(body)).toBe(requestHash(body).hash);
    expect(await jsonBodyHash({ actionType: 'ticket', rows: rows.slice(1) })).not.toBe(requestHash({ actionType: 'ticket', rows }).hash);
  });
});
