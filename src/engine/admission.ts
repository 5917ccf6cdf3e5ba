// Admission: which claimed actions of one connector may be sent now, by its circuit breaker, its
// concurrency slots and its rate limits (permits for a whole batch in one round trip), and until
// when the rest are held. It decides; the engine sends and writes.

import type { ActionRecord } from '../lifecycle/action.ts';
import type { Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { ConnectorHealth } from './connector-health.ts';
import type { ActionTypeEntry, ConnectorEntry } from './registry.ts';
import { firstWindowEnd, sendGuardMs } from '../limits/windows.ts';
import { RateBacklog } from './rate-backlog.ts';

export interface Claimed {
  a: ActionRecord;
  type: ActionTypeEntry;
}

export interface Held {
  item: Claimed;
  /** When to look at it again. */
  until: number;
  why: string;
  /** Held for a concurrency slot: an attempt of its connector ending on this node may wake it sooner. */
  forSlot?: true;
}

/**
 * How long an action waiting for a concurrency slot waits before it is looked at again, unless an
 * attempt of its connector ending on this node wakes it (engine.ts): slots freed by other nodes are
 * found this late. It was 50–100 ms, and a backlog of 1,000 behind a slow connector was claimed and
 * written again 13,000 times a second (a core, and a gigabyte of writes in 30 s) to send one a minute.
 */
export const SLOT_RECHECK_MS = 2000;

export interface Admitted {
  send: Claimed[];
  held: Held[];
  /** The sends hold a concurrency slot each, to release when their attempt ends. */
  holdsSlot: boolean;
  /** The sends must start by then (their rate-limit permits' window ends), or not at all. */
  sendBy: number | undefined;
}

/**
 * Rate-limit permits are not used in the last part of their window (this, or a tenth of the window
 * if shorter), so a request started late on a busy machine does not land in the next window.
 */
const RATE_GUARD_MS = 100;

export class AdmissionControl {
  /** When the actions a rate limit holds are due again: spread over the windows that will admit them. */
  private readonly backlog = new RateBacklog();

  constructor(
    private readonly store: Store,
    private readonly health: ConnectorHealth,
    private readonly clock: Clock,
    /** How long a claim (slot, probe) lasts: the engine's lease. */
    private readonly leaseMs: () => number,
    /** The ids of a connector's action types: where its held backlog is found in the store. */
    private readonly typesOf: (connectorId: string) => string[] = () => [],
  ) {}

  /** True when the connector has nothing to admit by: no limits, and its circuit lets sends through. */
  unlimited(connector: ConnectorEntry, now: number): boolean {
    const spec = connector.spec;
    return spec.rateLimits.length === 0 && spec.maxConcurrency === null && this.health.admission(connector.id, now).kind === 'send';
  }

  /** Applies a connector's circuit, then its concurrency slots, then its rate limits; holds what does not fit. */
  async admit(connector: ConnectorEntry, items: Claimed[], now: number): Promise<Admitted> {
    const store = this.store;
    const spec = connector.spec;
    let admitted = items;
    const held: Held[] = [];
    const gate = this.health.admission(connector.id, now);
    if (gate.kind === 'hold') {
      for (const i of items) held.push({ item: i, until: gate.until, why: gate.why });
      admitted = [];
    } else if (gate.kind === 'probe') {
      // An open circuit lets one attempt through to see whether the system is back.
      const won = await this.health.claimProbe(connector.id, now, now + this.leaseMs());
      admitted = won ? items.slice(0, 1) : [];
      for (const i of won ? items.slice(1) : items) held.push({ item: i, until: now + 1000, why: 'circuit open; a probe is in flight' });
    }
    if (spec.maxConcurrency !== null && admitted.length > 0) {
      const want = admitted;
      const got = new Set(
        await store.acquireConcurrency({
          connectorId: connector.id,
          max: spec.maxConcurrency,
          actionIds: want.map((i) => i.a.id),
          now,
          until: now + this.leaseMs(),
        }),
      );
      admitted = want.filter((i) => got.has(i.a.id));
      // A slot frees when an attempt ends: this node's wake the longest held at once; others' are found
      // at the recheck (spread, so a backlog is not claimed all at once).
      for (const i of want)
        if (!got.has(i.a.id))
          held.push({
            item: i,
            until: now + SLOT_RECHECK_MS + Math.floor(Math.random() * SLOT_RECHECK_MS),
            why: `${spec.maxConcurrency} attempts already in flight (maxConcurrency)`,
            forSlot: true,
          });
    }
    let sendBy: number | undefined;
    if (spec.rateLimits.length > 0 && admitted.length > 0) {
      // Permits belong to the current windows: take them at the current time, and send before the
      // first of those windows ends (less a guard for the trip to the other side), or not at all.
      const at = this.clock.now();
      const windowEnd = firstWindowEnd(at, spec.rateLimits);
      const guard = sendGuardMs(spec.rateLimits, RATE_GUARD_MS);
      const why = `rate limit ${spec.rateLimits.map((l) => `${l.limit} per ${l.perMs} ms`).join(' and ')}`;
      let granted = 0;
      let retryAt: number | null = windowEnd;
      if (at < windowEnd - guard) {
        const g = await store.acquireRatePermits({ connectorId: connector.id, limits: spec.rateLimits, now: at, want: admitted.length });
        granted = g.granted;
        retryAt = g.retryAt;
      }
      const over = admitted.slice(granted);
      admitted = admitted.slice(0, granted);
      sendBy = windowEnd - guard;
      // Each held action is due in a window with room for it, in claim (due) order, so it is claimed
      // again about once, not at every window end (see rate-backlog.ts).
      if (over.length > 0 && !this.backlog.knows(connector.id, spec.rateLimits))
        this.backlog.resume(connector.id, spec.rateLimits, await store.latestHeldDueAt(this.typesOf(connector.id)), at);
      const due = this.backlog.place(connector.id, spec.rateLimits, retryAt ?? windowEnd, over.length, at);
      over.forEach((i, n) => held.push({ item: i, until: due[n]!, why }));
      if (spec.maxConcurrency !== null && over.length > 0)
        await store.releaseConcurrency(
          connector.id,
          over.map((i) => i.a.id),
        );
    }
    return { send: admitted, held, holdsSlot: spec.maxConcurrency !== null, sendBy };
  }
}
