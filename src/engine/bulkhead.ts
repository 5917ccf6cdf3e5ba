// A bulkhead between connectors on one node: a slow external system keeps at most half of the node's
// attempts, so its backlog cannot take every place and leave the other systems' work waiting behind it
// (all of maxInFlight stuck for an attempt timeout, again and again while the backlog lasts).
//
// Slow means its oldest attempt in flight here started SLOW_ATTEMPT_MS ago or more. A system seen slow
// with more than its share in flight (it turned slow with every place taken) cannot give those places
// back before its attempts end, so they stop counting against the node's room: the other systems get
// the share it should have left them, and the node's attempts are at most 1.5 × maxInFlight meanwhile
// (each connector has its own connection pool of maxInFlight, engine.ts).

/** An attempt in flight this long makes its system slow, for the bulkhead. */
export const SLOW_ATTEMPT_MS = 1000;

/** The longest an action held for the share of a slow system waits before it is looked at again. */
export const MAX_SHARE_HOLD_MS = 5 * 60_000;

interface Attempts {
  /** Start times of this connector's attempts in flight, by action id: the first is the oldest. */
  started: Map<string, number>;
  /** Mean duration of its recent attempts (exponentially weighted), ms; undefined before one ends. */
  meanMs: number | undefined;
  /** When the last action held for its share comes due: the next is spread after it. */
  heldUntil: number;
}

export class Bulkhead {
  private readonly byConnector = new Map<string, Attempts>();
  /** One connector's share of the node's attempts while it is slow. */
  readonly share: number;

  constructor(private readonly maxInFlight: number) {
    this.share = Math.max(1, Math.floor(maxInFlight / 2));
  }

  private of(connectorId: string): Attempts {
    let a = this.byConnector.get(connectorId);
    if (!a) this.byConnector.set(connectorId, (a = { started: new Map(), meanMs: undefined, heldUntil: 0 }));
    return a;
  }

  started(connectorId: string, actionId: string, now: number): void {
    this.of(connectorId).started.set(actionId, now);
  }

  ended(connectorId: string, actionId: string, now: number): void {
    const a = this.byConnector.get(connectorId);
    const at = a?.started.get(actionId);
    if (!a || at === undefined) return;
    a.started.delete(actionId);
    const ms = Math.max(0, now - at);
    a.meanMs = a.meanMs === undefined ? ms : a.meanMs + (ms - a.meanMs) / 8;
    if (a.started.size === 0 && a.heldUntil <= now && (a.meanMs ?? 0) < SLOW_ATTEMPT_MS) this.byConnector.delete(connectorId);
  }

  inFlight(connectorId: string): number {
    return this.byConnector.get(connectorId)?.started.size ?? 0;
  }

  /** Whether this connector's system is slow now: an attempt of it here has been in flight long. */
  slow(connectorId: string, now: number): boolean {
    const a = this.byConnector.get(connectorId);
    if (!a) return false;
    const oldest = a.started.values().next();
    return !oldest.done && now - oldest.value >= SLOW_ATTEMPT_MS;
  }

  /**
   * Whether one more attempt of this connector (besides `starting` already let through in this batch)
   * would take more than its share while its system is slow.
   */
  full(connectorId: string, starting: number, now: number): boolean {
    return this.inFlight(connectorId) + starting >= this.share && this.slow(connectorId, now);
  }

  /**
   * Places the node's attempts do not count against its room: those that slow systems hold beyond
   * their share, at most half of maxInFlight in all.
   */
  overShare(now: number): number {
    let over = 0;
    for (const [id, a] of this.byConnector) if (a.started.size > this.share && this.slow(id, now)) over += a.started.size - this.share;
    return Math.min(over, this.maxInFlight >> 1);
  }

  /**
   * When an action held for a slow system's share is looked at again, if no attempt ending here wakes
   * it first: spread after the ones held before it by how long a place takes to free (the mean
   * attempt over the share), so a backlog is claimed again about once, not at every recheck.
   */
  holdUntil(connectorId: string, now: number, atLeastMs: number): number {
    const a = this.of(connectorId);
    const step = Math.max(a.meanMs ?? SLOW_ATTEMPT_MS, SLOW_ATTEMPT_MS) / this.share;
    a.heldUntil = Math.min(Math.max(a.heldUntil, now + atLeastMs) + step, now + MAX_SHARE_HOLD_MS);
    return Math.ceil(a.heldUntil);
  }
}
