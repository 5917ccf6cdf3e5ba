// A bulkhead between connectors on one node: slow external systems keep at most half of the node's
// attempts between them, so a backlog behind one cannot take every place and leave the other systems'
// work waiting behind it (all of maxInFlight stuck for an attempt timeout, again and again while the
// backlog lasts: 2,000 actions of a healthy system waited 41 s behind 3,000 of a hanging one; 2 s now).
//
// A system is slow when several of its attempts here have been in flight SLOW_ATTEMPT_MS or more (a
// quarter of the share, at least two: one hung request does not make a fast system slow), and they are
// half of what it has in flight or its recent attempts took that long on average (a few long uploads
// among quick requests do not either). Ages are measured on the monotonic clock, not the engine's (an
// injected clock's jumps, a wall clock's steps).
// Slow systems that hold more than the half (they turned slow with the places taken) cannot give them
// back before their attempts end, so those places stop counting against the node's room: the other
// systems get the half they should have had, and the node's attempts are at most 1.5 × maxInFlight
// meanwhile (each connector has its own connection pool of maxInFlight, engine.ts).

/** In the note of an action held for a slow system's place: how the view tells that hold (actions/service.ts). */
export const SLOW_HOLD_MARK = 'slow systems keep at most';

/** An attempt in flight this long counts towards making its system slow. */
export const SLOW_ATTEMPT_MS = 1000;

/**
 * The longest an action held for a slow system's place waits before it is looked at again, unless an
 * attempt ending here wakes it: past this a backlog is claimed again once per this time.
 */
export const MAX_SHARE_HOLD_MS = 60 * 60_000;

interface Attempts {
  /** Start times of this connector's attempts in flight (monotonic ms), by action id: the first is the oldest. */
  started: Map<string, number>;
  /** Mean duration of its recent attempts (exponentially weighted), ms; undefined before one ends. */
  meanMs: number | undefined;
  /** When the last action held for a place comes due: the next is spread after it. */
  heldUntil: number;
  /** Whether it was slow when last asked, and when (monotonic ms): asked per claimed action. */
  slow: boolean;
  slowAt: number;
}

export class Bulkhead {
  private readonly byConnector = new Map<string, Attempts>();
  /** What slow systems keep of the node's attempts between them. */
  readonly share: number;
  /** Attempts in flight a second or more that make a system slow. */
  readonly slowAfter: number;

  constructor(
    private readonly maxInFlight: number,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.share = Math.max(1, Math.floor(maxInFlight / 2));
    this.slowAfter = Math.max(2, Math.ceil(this.share / 4));
  }

  private of(connectorId: string): Attempts {
    let a = this.byConnector.get(connectorId);
    if (!a)
      this.byConnector.set(connectorId, (a = { started: new Map(), meanMs: undefined, heldUntil: 0, slow: false, slowAt: -Infinity }));
    return a;
  }

  started(connectorId: string, actionId: string): void {
    this.of(connectorId).started.set(actionId, this.monotonic());
    this.slowTotalAt = -Infinity;
  }

  ended(connectorId: string, actionId: string): void {
    const a = this.byConnector.get(connectorId);
    const at = a?.started.get(actionId);
    if (!a || at === undefined) return;
    a.started.delete(actionId);
    const now = this.monotonic();
    const ms = Math.max(0, now - at);
    a.meanMs = a.meanMs === undefined ? ms : a.meanMs + (ms - a.meanMs) / 8;
    a.slowAt = -Infinity;
    this.slowTotalAt = -Infinity;
    // Nothing in flight and nothing slow to remember (the mean spreads the next holds).
    if (a.started.size === 0 && a.meanMs < SLOW_ATTEMPT_MS) this.byConnector.delete(connectorId);
  }

  inFlight(connectorId: string): number {
    return this.byConnector.get(connectorId)?.started.size ?? 0;
  }

  /** Each connector with attempts in flight here: how many, and whether its system is slow (for /metrics). */
  load(): Array<{ connectorId: string; inFlight: number; slow: boolean }> {
    return [...this.byConnector.entries()].map(([id, a]) => ({ connectorId: id, inFlight: a.started.size, slow: this.slow(id) }));
  }

  /** Whether this connector's system is slow now: `slowAfter` of its attempts here in flight a second or more. */
  slow(connectorId: string): boolean {
    const a = this.byConnector.get(connectorId);
    if (!a || a.started.size < this.slowAfter) return false;
    const now = this.monotonic();
    // Counted from the oldest, at most once a millisecond (a claim asks for each of its actions).
    if (now - a.slowAt < 1) return a.slow;
    // Enough of them old, and either half of what is in flight or a slow mean: a few long uploads among
    // quick requests do not make a system slow; a system whose every attempt takes 1.5 s does.
    const half = Math.ceil(a.started.size / 2);
    const enough = Math.max(half, this.slowAfter);
    let old = 0;
    for (const at of a.started.values()) {
      if (now - at < SLOW_ATTEMPT_MS) break;
      if (++old >= enough) break;
    }
    a.slow = old >= this.slowAfter && (old >= half || (a.meanMs ?? 0) >= SLOW_ATTEMPT_MS);
    a.slowAt = now;
    return a.slow;
  }

  /** Attempts slow systems have in flight here, all together: counted at most once a millisecond or per start and end. */
  private slowInFlight(): number {
    const now = this.monotonic();
    if (now - this.slowTotalAt < 1) return this.slowTotal;
    let n = 0;
    for (const [id, a] of this.byConnector) if (this.slow(id)) n += a.started.size;
    this.slowTotal = n;
    this.slowTotalAt = now;
    return n;
  }
  private slowTotal = 0;
  private slowTotalAt = -Infinity;

  /**
   * Whether one more attempt of this connector would take slow systems past their half of the node
   * (`passing`: attempts of slow systems a batch has let through and not started yet).
   */
  full(connectorId: string, passing: number): boolean {
    return this.slow(connectorId) && this.slowInFlight() + passing >= this.share;
  }

  /** Places slow systems hold beyond their half: they do not count against the node's room (at most half of maxInFlight). */
  overShare(): number {
    if (this.byConnector.size === 0) return 0;
    return Math.min(Math.max(0, this.slowInFlight() - this.share), this.maxInFlight >> 1);
  }

  /**
   * When an action held for a slow system's place is looked at again, if no attempt ending here wakes
   * it first (`now` on the engine's clock): spread after the ones held before it by how long a place
   * takes to free (the mean attempt over the share), so a backlog is claimed again about once, not at
   * every recheck.
   */
  holdUntil(connectorId: string, now: number, atLeastMs: number): number {
    const a = this.of(connectorId);
    const step = Math.max(a.meanMs ?? SLOW_ATTEMPT_MS, SLOW_ATTEMPT_MS) / this.share;
    a.heldUntil = Math.min(Math.max(a.heldUntil, now + atLeastMs) + step, now + MAX_SHARE_HOLD_MS);
    return Math.ceil(a.heldUntil);
  }
}
