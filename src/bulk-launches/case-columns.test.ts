import { describe, expect, it } from 'vitest';
import { caseCellProblems, splitCaseRow } from './case-columns.ts';

describe('caseCellProblems', () => {
  const cols = { title: 'Name', owner: 'Owner' };

  it("counts a title's and an owner's characters as the cases API does (code points), so an emoji is one", () => {
    // 300 emoji are 600 UTF-16 units: POST /v1/cases takes such a title (maxLength 500 counts characters).
    expect(caseCellProblems({ Name: '😀'.repeat(300), Owner: 'é'.repeat(200) }, cols)).toEqual([]);
    expect(caseCellProblems({ Name: '😀'.repeat(501) }, cols)).toEqual([
      { field: 'Name', message: "is 501 characters; a case's title (titleColumn) is at most 500" },
    ]);
    expect(caseCellProblems({ Name: 'A', Owner: '😀'.repeat(201) }, cols)).toEqual([
      { field: 'Owner', message: "is 201 characters; a case's owner (ownerColumn) is at most 200" },
    ]);
  });

  it("reads a row's own cells only: a column named like an object's built-in (constructor, toString) is its cell or nothing", () => {
    const named = { title: 'toString', owner: 'constructor' };
    // An empty CSV cell is no key at all: the title is empty, the owner absent (no owner), not "must be text".
    expect(caseCellProblems({}, named)).toEqual([
      { field: 'toString', message: "is empty: this column is each case's title (titleColumn)" },
    ]);
    expect(caseCellProblems({ toString: 'Ada' }, named)).toEqual([]);
    expect(splitCaseRow({ toString: 'Ada', other: 1 }, named)).toEqual({ title: 'Ada', data: { other: 1 } });
  });

  it('a title cell that shows nothing (a zero-width space, a BOM, spaces of any kind) is empty, as the cases API refuses it', () => {
    for (const blank of ['\u200B', '\uFEFF', '\u2060', '\u3000 \u00A0'])
      expect(caseCellProblems({ Name: blank }, cols), JSON.stringify(blank)).toEqual([
        { field: 'Name', message: "is empty: this column is each case's title (titleColumn)" },
      ]);
  });
});
