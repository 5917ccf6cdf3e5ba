import { describe, expect, it } from 'vitest';
import { processNames } from './names.ts';
import type { CaseRow, ConfigRow, Store } from '../store/types.ts';

const T0 = Date.UTC(2030, 0, 1);
const caseOf = (i: number, process: string | null, started = `started-${i}`): CaseRow =>
  ({ id: `c${i}`, process, definition: process === null ? null : { name: started } }) as unknown as CaseRow;

describe('the names a page of cases shows for its processes', () => {
  it('reads the names of the processes on the page only, never every process with its definition (a page of cases of many processes)', async () => {
    const processes = new Map<string, ConfigRow>();
    for (let i = 0; i < 8; i++)
      processes.set(`p${i}`, { id: `p${i}`, name: `Process ${i}`, doc: { steps: [] }, revision: 1, createdAt: T0, updatedAt: T0 });
    const asked: string[][] = [];
    const store = {
      // Each process may hold a definition of megabytes: a page of cases reads none of them.
      getConfig: async () => {
        throw new Error('a definition was read');
      },
      listConfig: async () => {
        throw new Error('every process was read');
      },
      configNames: async (_kind: string, ids: readonly string[]) => {
        asked.push([...ids]);
        return ids.flatMap((id) => (processes.has(id) ? [{ id, name: processes.get(id)!.name }] : []));
      },
    } as unknown as Store;
    // Seven processes on the page (more than the few once read one by one), one gone, one case of none.
    const cases = [0, 1, 2, 3, 4, 5, 6, 0].map((i) => caseOf(i, `p${i}`));
    cases.push(caseOf(9, 'gone', 'Old name'), caseOf(10, null));
    const nameOf = await processNames(store, cases);
    expect(cases.map(nameOf)).toEqual([...[0, 1, 2, 3, 4, 5, 6, 0].map((i) => `Process ${i}`), 'Old name', null]);
    expect(asked).toHaveLength(1);
    expect([...asked[0]!].sort()).toEqual(['gone', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });
});
