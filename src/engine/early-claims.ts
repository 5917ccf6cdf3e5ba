// Actions claimed a little before their due time (the engine's claim lead), held here and handed
// back when it comes. A stream of timers due a fraction of a millisecond apart is then claimed in
// batches of a lead's worth, not a few at a time per claim (a transaction each), and each is sent
// on time from memory rather than after a claim's round trip. One clock timer, for the earliest.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { Phase } from '../lifecycle/states.ts';
import type { Clock, TimerHandle } from '../clock.ts';

export interface EarlyClaim {
  action: ActionRecord;
  /** The due time it had before the claim's lease replaced it. */
  due: number;
  /** The phase it had before the claim made it `sending` (see the lifecycle's `claim_released`). */
  phase: Phase | null;
}

export class EarlyClaims {
  /** Sorted by due time. */
  private held: EarlyClaim[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private emptied: Array<() => void> = [];

  constructor(
    private readonly clock: Clock,
    /** Those whose due time has come, in due order. */
    private readonly onDue: (due: EarlyClaim[]) => void,
  ) {}

  get size(): number {
    return this.held.length;
  }

  add(claims: EarlyClaim[]): void {
    if (claims.length === 0) return;
    this.held.push(...claims);
    // A claim's rows arrive in due order and after those held (they were due later): sorted already, mostly.
    this.held.sort((a, b) => a.due - b.due);
    this.arm();
  }

  /** Takes back the one held for this action, if any (and `which` accepts it): it is not handed back when its time comes. */
  take(id: string, which: (c: EarlyClaim) => boolean = () => true): EarlyClaim | undefined {
    const i = this.held.findIndex((c) => c.action.id === id && which(c));
    if (i < 0) return undefined;
    const [claim] = this.held.splice(i, 1);
    // Its timer, if it was the earliest, finds nothing due and sets the next one.
    if (this.held.length === 0) for (const r of this.emptied.splice(0)) r();
    return claim;
  }

  /** The ids of the held actions `which` accepts (they stay held). */
  ids(which: (c: EarlyClaim) => boolean): string[] {
    return this.held.filter(which).map((c) => c.action.id);
  }

  /** Takes back every held action: none is handed back when its time comes. */
  takeAll(): EarlyClaim[] {
    const all = this.held.splice(0);
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
    for (const r of this.emptied.splice(0)) r();
    return all;
  }

  /** Resolves once every held action has been handed back. */
  whenEmpty(): Promise<void> {
    if (this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  private arm(): void {
    const first = this.held[0];
    if (!first || first.due >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = first.due;
    const wait = first.due - this.clock.now();
    if (wait > 0) this.timer = this.clock.setTimer(wait, () => this.fire());
    else {
      // Come due while its claim was on its way: now (a fake clock would fire a timer only when next moved).
      const h = setImmediate(() => this.fire());
      this.timer = { cancel: () => clearImmediate(h) };
    }
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let n = 0;
    while (n < this.held.length && this.held[n]!.due <= now) n++;
    const due = this.held.splice(0, n);
    this.arm();
    if (due.length > 0) this.onDue(due);
    if (this.held.length === 0) for (const r of this.emptied.splice(0)) r();
  }
}
