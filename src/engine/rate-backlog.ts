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
  /** When ended windows were last forgotten: once a second is plenty. */
  forgotAt: number;
}

export class RateBacklog {
  private readonly plans = new Map<string, Plan>();

  /**
   * Due times for `count` actions held on `connectorId`, in their order, none before `from` (when
   * permits are next available): each window of every limit gets at most its limit of them.
   */
  place(connectorId: string, limits: readonly RateLimitWindow[], from: number, count: number, now: number): number[] {
    // Nothing to place makes no plan: one made now would not know of a backlog already stored.
    if (count === 0) return [];
    const key = keyOf(limits);
    let plan = this.plans.get(connectorId);
    if (!plan || plan.key !== key) this.plans.set(connectorId, (plan = { key, cursor: from, placed: new Map(), forgotAt: now }));
    if (plan.cursor < from) plan.cursor = from;
    this.forget(plan, now);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.next(plan, limits));
    return out;
  }

  /** Whether this node has a plan for the connector at these limits (else it should `resume` one first). */
  knows(connectorId: string, limits: readonly RateLimitWindow[]): boolean {
    return this.plans.get(connectorId)?.key === keyOf(limits);
  }

  /**
   * Starts a plan behind a backlog already in the store (held by a previous life of this node, or by
   * another node): new holds go after `latestDue`, in the next window, so they do not overtake it.
   */
  resume(connectorId: string, limits: readonly RateLimitWindow[], latestDue: number | null, now: number): void {
    let shortest = Infinity;
    for (const l of limits) shortest = Math.min(shortest, l.perMs);
    const cursor = latestDue === null ? now : windowStart(latestDue, shortest) + shortest;
    this.plans.set(connectorId, { key: keyOf(limits), cursor, placed: new Map(), forgotAt: now });
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
    if (now - plan.forgotAt < 1000) return;
    plan.forgotAt = now;
    for (const k of plan.placed.keys()) {
      const [perMs, start] = k.split(':').map(Number) as [number, number];
      if (start + perMs <= now) plan.placed.delete(k);
    }
  }
}

const keyOf = (limits: readonly RateLimitWindow[]): string => limits.map((l) => `${l.limit}/${l.perMs}`).join(',');
