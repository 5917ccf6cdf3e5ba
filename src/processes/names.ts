// The name a case shows for its process. A case holds its process by id, so the cases of a renamed
// process show its name now (and GET /v1/cases?process= finds them by it); the name the definition had
// when the case started stands in only when no process has that id any more (no route deletes one).

import type { CaseRow, Store } from '../store/types.ts';

/**
 * How each of `cases` names its process: one read of the names of the page's processes, and of nothing
 * else. Reading every process with its definition (a page of cases of more than a few processes did)
 * made each page of GET /v1/cases read all of them: 200 processes of 100 steps are about 31 MB.
 */
export async function processNames(store: Pick<Store, 'configNames'>, cases: readonly CaseRow[]): Promise<(c: CaseRow) => string | null> {
  const ids = [...new Set(cases.map((c) => c.process).filter((p): p is string => typeof p === 'string'))];
  const names = new Map((await store.configNames('process', ids)).map((r) => [r.id, r.name]));
  return (c) => (c.process == null ? null : (names.get(c.process) ?? c.definition?.name ?? null));
}

/** The name one case shows for its process (processNames). */
export const processNameOf = async (store: Pick<Store, 'configNames'>, c: CaseRow): Promise<string | null> =>
  (await processNames(store, [c]))(c);
