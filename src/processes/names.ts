// The name a case shows for its process. A case holds its process by id, so the cases of a renamed
// process show its name now (and GET /v1/cases?process= finds them by it); the name the definition had
// when the case started stands in only when no process has that id any more (no route deletes one).

import type { CaseRow, Store } from '../store/types.ts';

/** Up to this many processes on one page are read one by one; more, all at once (with their definitions). */
const FEW = 5;

/** How each of `cases` names its process: a read per process of the page (at most FEW), else one of all. */
export async function processNames(
  store: Pick<Store, 'getConfig' | 'listConfig'>,
  cases: readonly CaseRow[],
): Promise<(c: CaseRow) => string | null> {
  const ids = [...new Set(cases.map((c) => c.process).filter((p): p is string => typeof p === 'string'))];
  const names = new Map<string, string>();
  if (ids.length <= FEW) {
    for (const id of ids) {
      const row = await store.getConfig('process', id);
      // getConfig reads an id or a name: only the process of that id is the case's.
      if (row !== undefined && row.id === id) names.set(row.id, row.name);
    }
  } else for (const row of await store.listConfig('process')) names.set(row.id, row.name);
  return (c) => (c.process == null ? null : (names.get(c.process) ?? c.definition?.name ?? null));
}

/** The name one case shows for its process (processNames). */
export const processNameOf = async (store: Pick<Store, 'getConfig' | 'listConfig'>, c: CaseRow): Promise<string | null> =>
  (await processNames(store, [c]))(c);
