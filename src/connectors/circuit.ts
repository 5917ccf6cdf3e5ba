// The circuit breaker and the 'needs attention' flag of a connector, as pure functions over its
// status record: the store keeps the record (shared by every node), the engine asks and reports.

import type { CircuitBreakerSpec } from './connector.ts';
import type { ConnectorStatusView } from './schemas.ts';
import { isoTime as iso } from '../clock.ts';

export interface ConnectorStatus {
  connectorId: string;
  circuit: 'closed' | 'open';
  /** Failures in a row (connection errors, timeouts, 5xx). */
  failures: number;
  openedAt: number | null;
  /** When an open circuit lets one probe through. */
  retryAt: number | null;
  /** A probe is in flight until then; the others keep waiting. */
  probeUntil: number | null;
  lastError: string | null;
  /** Why a person must look at the connector (e.g. refused credentials); sends wait meanwhile. */
  needsAttention: string | null;
  updatedAt: number;
}

export const closedStatus = (connectorId: string, now: number): ConnectorStatus => ({
  connectorId,
  circuit: 'closed',
  failures: 0,
  openedAt: null,
  retryAt: null,
  probeUntil: null,
  lastError: null,
  needsAttention: null,
  updatedAt: now,
});

export type Admission = { kind: 'send' } | { kind: 'probe' } | { kind: 'hold'; until: number; why: string };

/** May an attempt go to this connector now? */
export function admission(s: ConnectorStatus | undefined, now: number): Admission {
  if (!s) return { kind: 'send' };
  if (s.needsAttention) return { kind: 'hold', until: now + 30_000, why: `the connector needs attention: ${s.needsAttention}` };
  if (s.circuit === 'closed') return { kind: 'send' };
  const why = `circuit open after ${s.failures} failures in a row (last: ${s.lastError ?? 'unknown'})`;
  if (s.retryAt !== null && now < s.retryAt) return { kind: 'hold', until: s.retryAt, why };
  if (s.probeUntil !== null && now < s.probeUntil)
    return { kind: 'hold', until: Math.min(s.probeUntil, now + 1000), why: `${why}; a probe is in flight` };
  return { kind: 'probe' };
}

/** Applies attempt outcomes, in the order they happened. */
export function recordOutcomes(
  s: ConnectorStatus,
  outcomes: Array<{ ok: boolean; error?: string }>,
  spec: CircuitBreakerSpec | null,
  now: number,
): ConnectorStatus {
  const n = { ...s, updatedAt: now };
  for (const o of outcomes) {
    if (o.ok) {
      n.failures = 0;
      n.circuit = 'closed';
      n.openedAt = n.retryAt = n.probeUntil = null;
      continue;
    }
    n.failures += 1;
    n.lastError = o.error ?? null;
    if (!spec) continue;
    if (n.circuit === 'open' || n.failures >= spec.failureThreshold) {
      // Opening, or a failed probe: hold everything for another cool-down.
      if (n.circuit !== 'open') n.openedAt = now;
      n.circuit = 'open';
      n.retryAt = now + spec.cooldownMs;
      n.probeUntil = null;
    }
  }
  return n;
}

/**
 * A change to a connector's status, as data: the store applies it (changeStatus) inside the
 * transaction that reads and writes the record, on whichever connection or thread runs it.
 */
export type StatusChange =
  /** Attempt outcomes, in the order they happened. */
  | { kind: 'outcomes'; outcomes: Array<{ ok: boolean; error?: string }>; breaker: CircuitBreakerSpec | null; now: number }
  /** Take the one probe an open circuit allows, in flight until `until`. */
  | { kind: 'probe'; now: number; until: number }
  /** Why a person must look at the connector; null clears it. */
  | { kind: 'attention'; message: string | null; now: number };

/** The status after `change`; `applied` is false only for a probe that was not free to take. */
export function changeStatus(
  cur: ConnectorStatus | undefined,
  connectorId: string,
  change: StatusChange,
): { status: ConnectorStatus; applied: boolean } {
  const c = cur ?? closedStatus(connectorId, change.now);
  switch (change.kind) {
    case 'outcomes':
      return { status: recordOutcomes(c, change.outcomes, change.breaker, change.now), applied: true };
    case 'probe':
      if (admission(c, change.now).kind !== 'probe') return { status: c, applied: false };
      return { status: { ...c, probeUntil: change.until, updatedAt: change.now }, applied: true };
    case 'attention':
      return { status: { ...c, needsAttention: change.message, updatedAt: change.now }, applied: true };
  }
}

/** The operator's view: `half_open` while a probe is in flight. */
export function statusView(s: ConnectorStatus | undefined, now: number): ConnectorStatusView {
  if (!s) return { circuit: 'closed', failures: 0, needsAttention: null };
  return {
    circuit: s.circuit === 'open' && s.probeUntil !== null && s.probeUntil > now ? 'half_open' : s.circuit,
    failures: s.failures,
    openedAt: iso(s.openedAt),
    retryAt: iso(s.retryAt),
    lastError: s.lastError,
    needsAttention: s.needsAttention,
  };
}
