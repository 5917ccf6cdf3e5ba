// How many of some actions match, read from the store: what the engine tests poll for.

import type { ActionRecord } from '../../src/lifecycle/action.ts';
import type { Store } from '../../src/store/types.ts';

export async function countActions(store: Store, ids: readonly string[], match: (a: ActionRecord) => boolean): Promise<number> {
  const actions = await Promise.all(ids.map((id) => store.getAction(id)));
  return actions.filter((a) => a !== undefined && match(a)).length;
}
