import { describe, expect, it } from 'vitest';
import { requestHash } from '../ids.ts';
import { createHash } from 'node:crypto';
import { hashOf, jsonBodyHash } from './request-hash.ts';

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

describe('hashOf', () => {
  const csv = Buffer.from('Name,Owner\nAda,alice\n');
  const of = async (query: Record<string, string>) => (await hashOf({ kind: 'csv', body: csv, query })).hash;

  it("covers a CSV body's title and owner columns, in any order of the query", async () => {
    const plain = await of({ process: 'onboard' });
    const titled = await of({ process: 'onboard', titleColumn: 'Name' });
    const owned = await of({ process: 'onboard', titleColumn: 'Name', ownerColumn: 'Owner' });
    expect(new Set([plain, titled, owned, await of({ process: 'onboard', titleColumn: 'Owner' })]).size).toBe(4);
    expect(await of({ ownerColumn: 'Owner', process: 'onboard', titleColumn: 'Name' })).toBe(owned);
    // A query of one setting hashes as it did before the columns were added: keys stored then still match.
    const before = createHash('sha256')
      .update(JSON.stringify({ process: 'onboard' }))
      .update('\n')
      .update(csv)
      .digest('hex');
    expect(plain).toBe(before);
  });

  it("covers a JSON body's title and owner columns", async () => {
    const rows = [{ Name: 'Ada', Owner: 'alice' }];
    const a = await hashOf({ kind: 'json', body: { process: 'onboard', titleColumn: 'Name', rows } });
    const b = await hashOf({ kind: 'json', body: { process: 'onboard', titleColumn: 'Owner', rows } });
    expect(a.matches(b.hash)).toBe(false);
    expect(a.matches((await hashOf({ kind: 'json', body: { rows, titleColumn: 'Name', process: 'onboard' } })).hash)).toBe(true);
  });
});
