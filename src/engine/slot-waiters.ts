// Actions this node held for a connector's concurrency slot, longest-held first, so an attempt that
// ends here can wake one at once (engine.ts wakeSlotWaiter) instead of every held action being looked
// at again and again. Kept per connector up to a few times its limit: the rest, and any slot another
// node frees, are found at the recheck (admission.ts SLOT_RECHECK_MS).

import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';
import type { ConnectorEntry } from './registry.ts';

interface Waiter {
  action: ActionRecord;
  policy: ActionPolicy;
}

export class SlotWaiters {
  private readonly byConnector = new Map<string, Waiter[]>();

  /** Notes an action held for a slot of `connector`, as written (undefined: the write did not land). */
  add(connector: ConnectorEntry, action: ActionRecord | undefined, policy: ActionPolicy): void {
    if (!action || action.phase !== 'throttled') return;
    const limit = connector.spec.maxConcurrency;
    if (limit === null) return;
    let q = this.byConnector.get(connector.id);
    if (!q) this.byConnector.set(connector.id, (q = []));
    // Held again after a wake or a recheck: its place moves to the back, as its new hold's version.
    const i = q.findIndex((w) => w.action.id === action.id);
    if (i >= 0) q.splice(i, 1);
    if (q.length < Math.min(Math.max(4 * limit, 16), 1000)) q.push({ action, policy });
  }

  /** The one held longest for a slot of this connector, taken out; undefined when none is known. */
  next(connectorId: string): Waiter | undefined {
    const q = this.byConnector.get(connectorId);
    const w = q?.shift();
    if (q && q.length === 0) this.byConnector.delete(connectorId);
    return w;
  }
}
