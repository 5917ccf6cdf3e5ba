// Actions this node held for a place of a connector (a concurrency slot, or a slow system's share of
// the node: bulkhead.ts), longest-held first, so an attempt that ends here can wake one at once
// (engine.ts wakeSlotWaiter) instead of every held action being looked at again and again. Kept per
// connector up to a few times its limit: the rest, and any slot another node frees, are found at the
// recheck (admission.ts SLOT_RECHECK_MS, Bulkhead.holdUntil).

import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';

interface Waiter {
  action: ActionRecord;
  policy: ActionPolicy;
}

/** The most actions kept per connector (whole records: a few hundred kilobytes each at worst). */
export const MAX_KEPT = 1000;

/** How many to keep for a concurrency limit: a few times the limit. */
export const keptForLimit = (limit: number): number => Math.max(4 * limit, 16);

export class SlotWaiters {
  private readonly byConnector = new Map<string, Waiter[]>();

  /** Notes an action held for a place of a connector, as written (undefined: the write did not land), keeping at most `keep` for it. */
  add(connectorId: string, keep: number, action: ActionRecord | undefined, policy: ActionPolicy): void {
    if (!action || action.phase !== 'throttled') return;
    let q = this.byConnector.get(connectorId);
    if (!q) this.byConnector.set(connectorId, (q = []));
    // Held again after a wake or a recheck: its place moves to the back, as its new hold's version.
    const i = q.findIndex((w) => w.action.id === action.id);
    if (i >= 0) q.splice(i, 1);
    if (q.length < Math.min(keep, MAX_KEPT)) q.push({ action, policy });
  }

  /** The one held longest for a slot of this connector, taken out; undefined when none is known. */
  next(connectorId: string): Waiter | undefined {
    const q = this.byConnector.get(connectorId);
    const w = q?.shift();
    if (q && q.length === 0) this.byConnector.delete(connectorId);
    return w;
  }
}
