// Actions this node held for a place of a connector (a concurrency slot, or a slow system's share of
// the node: bulkhead.ts), longest-held first, so an attempt that ends here can wake one at once
// (engine.ts wakeSlotWaiter) instead of every held action being looked at again and again. Kept per
// connector up to a few times its limit as whole records, and beyond that, for a slow system's share,
// as id and version (read again when woken): the rest, and any slot another node frees, are found at
// the recheck (admission.ts SLOT_RECHECK_MS, Bulkhead.holdUntil).

import type { ActionPolicy, ActionRecord } from '../lifecycle/action.ts';

export interface Waiter {
  id: string;
  /** The version its hold wrote: a wake is guarded by it. */
  version: number;
  /** The record as held; absent for one kept by id (read again when woken). */
  action?: ActionRecord;
  policy: ActionPolicy;
  /** Held for a slow system's place (bulkhead.ts), not for a concurrency slot. */
  share: boolean;
}

/** The most actions kept per connector as whole records (a few hundred kilobytes each at worst). */
export const MAX_KEPT = 1000;

/** The most kept per connector by id and version beyond those (about a hundred bytes each). */
export const MAX_KEPT_BY_ID = 100_000;

/** How many to keep for a concurrency limit: a few times the limit. */
export const keptForLimit = (limit: number): number => Math.max(4 * limit, 16);

interface Queue {
  /** In the order held (a Map keeps insertion order: moving one to the back is a delete and a set). */
  waiters: Map<string, Waiter>;
  /** How many of them hold a whole record. */
  whole: number;
}

export class SlotWaiters {
  private readonly byConnector = new Map<string, Queue>();

  /**
   * Notes an action held for a place of a connector, as written (undefined: the write did not land):
   * at most `keep` of them as whole records, and up to `byId` in all.
   */
  add(connectorId: string, keep: number, action: ActionRecord | undefined, policy: ActionPolicy, byId = 0, share = false): void {
    if (!action || action.phase !== 'throttled') return;
    let q = this.byConnector.get(connectorId);
    if (!q) this.byConnector.set(connectorId, (q = { waiters: new Map(), whole: 0 }));
    // Held again after a wake or a recheck: its place moves to the back, as its new hold's version.
    const before = q.waiters.get(action.id);
    if (before) {
      q.waiters.delete(action.id);
      if (before.action) q.whole--;
    }
    const w: Waiter = { id: action.id, version: action.version, policy, share };
    if (q.whole < Math.min(keep, MAX_KEPT)) {
      w.action = action;
      q.whole++;
    } else if (q.waiters.size >= Math.min(byId, MAX_KEPT_BY_ID)) return;
    q.waiters.set(action.id, w);
  }

  /** The one held longest for a place of this connector, taken out; undefined when none is known. */
  next(connectorId: string): Waiter | undefined {
    const q = this.byConnector.get(connectorId);
    if (!q) return undefined;
    const w = q.waiters.values().next().value;
    if (w) {
      q.waiters.delete(w.id);
      if (w.action) q.whole--;
    }
    if (q.waiters.size === 0) this.byConnector.delete(connectorId);
    return w;
  }

  /** Whether this node keeps this action as held for a slow system's place of the connector. */
  holdsForShare(connectorId: string, actionId: string): boolean {
    return this.byConnector.get(connectorId)?.waiters.get(actionId)?.share ?? false;
  }
}
