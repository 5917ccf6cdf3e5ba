// Where a rate-limited connector's held actions wait: each is due again in the first window that
// still has room for it, in the order they were held, rather than all at the current window's end.
// Otherwise every held action is claimed and rewritten once per window, and holding N actions costs
// the store N writes a window instead of about one write per action held. It only plans due times:
// the permits taken at send time (admission.ts) keep the limit exact, so an optimistic plan (another
// node's, a previous life's) costs a few actions one more hold, never an overshoot.

import { windowStart, type RateLimitWindow } from '../limits/windows.ts';

interface Plan {
  /** The limits it was made for: a changed limit starts a new plan. */
  key: string;
  /** The earliest due time still open to new placements. */
  cursor: number;
  /** Placements per window, by `${perMs}:${windowStart}`. */
  placed: Map<string, number>;
}

export class RateBacklog {
  private readonly plans = new Map<string, Plan>();

  /**
   * Due times for `count` actions held on `connectorId`, in their order, none before `from` (when
   * permits are next available): each window of every limit gets at most its limit of them.
   */
  place(connectorId: string, limits: readonly RateLimitWindow[], from: number, count: number, now: number): number[] {
    const key = limits.map((l) => `${l.limit}/${l.perMs}`).join(',');
    let plan = this.plans.get(connectorId);
    if (!plan || plan.key !== key) this.plans.set(connectorId, (plan = { key, cursor: from, placed: new Map() }));
    if (plan.cursor < from) plan.cursor = from;
    this.forget(plan, now);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.next(plan, limits));
    return out;
  }

  private next(plan: Plan, limits: readonly RateLimitWindow[]): number {
    for (;;) {
      const t = plan.cursor;
      // The end of the latest window already full at t: nothing fits before it.
      let full = -Infinity;
      for (const l of limits) {
        const start = windowStart(t, l.perMs);
        if ((plan.placed.get(`${l.perMs}:${start}`) ?? 0) >= l.limit) full = Math.max(full, start + l.perMs);
      }
      if (full === -Infinity) {
        for (const l of limits) {
          const k = `${l.perMs}:${windowStart(t, l.perMs)}`;
          plan.placed.set(k, (plan.placed.get(k) ?? 0) + 1);
        }
        return t;
      }
      plan.cursor = full;
    }
  }

  /** Windows that have ended hold nothing more: their counts go, so the plan stays small. */
  private forget(plan: Plan, now: number): void {
    for (const k of plan.placed.keys()) {
      const [perMs, start] = k.split(':').map(Number) as [number, number];
      if (start + perMs <= now) plan.placed.delete(k);
    }
  }
}
