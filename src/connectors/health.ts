// A connector's health over time (GET /v1/connectors/{id}/health): its attempts per bucket from the
// store's connector_minutes (engine/connector-stats.ts), summed per bucket by the store, beside what
// holds it now: the circuit, the rate limits' use in their current windows, the throttled backlog.

import { Type, type Static } from '@sinclair/typebox';
import { DateTime, StringEnum } from '../api/schemas.ts';
import { ConnectorStatusSchema, Nullable } from './schemas.ts';
import type { ConnectorView } from './schemas.ts';
import type { Store, ConnectorMinute } from '../store/types.ts';
import type { Registry } from '../engine/registry.ts';
import type { Engine } from '../engine/engine.ts';
import type { Clock } from '../clock.ts';
import { LATENCY_BANDS_MS, MINUTE_MS, STATS_FLUSH_MS } from '../engine/connector-stats.ts';
import { windowEnd, windowStart } from '../limits/windows.ts';

/** Each window: how far back, and the bucket it is summed by (60, 96 and 168 buckets). */
export const HEALTH_WINDOWS = {
  '1h': { spanMs: 3_600_000, bucketMs: MINUTE_MS },
  '24h': { spanMs: 86_400_000, bucketMs: 15 * MINUTE_MS },
  '7d': { spanMs: 7 * 86_400_000, bucketMs: 3_600_000 },
} as const;
export type HealthWindow = keyof typeof HEALTH_WINDOWS;
/** The span of `recent`: what "failures rose in the last minutes" is measured on. */
const RECENT_MINUTES = 5;

export const HealthQuery = Type.Object(
  { window: Type.Optional(StringEnum(Object.keys(HEALTH_WINDOWS) as HealthWindow[], { default: '1h', description: 'how far back' })) },
  { additionalProperties: false },
);

const count = (description: string) => Type.Integer({ minimum: 0, description });
const Failed = Type.Object(
  {
    connection: count('the connection failed (refused, reset, DNS, TLS)'),
    timeout: count('no answer within the timeout'),
    http4xx: count('answered with a status other than 2xx below 500 (mostly 4xx), or credentials refused'),
    http5xx: count('answered 5xx'),
  },
  { additionalProperties: false },
);
const Latency = Type.Object(
  {
    avgMs: Nullable(Type.Number()),
    maxMs: Nullable(Type.Number()),
    p95Ms: Nullable(Type.Number({ description: 'estimated from a count per latency band (<100 ms, <300 ms, <1 s, <3 s, 3 s or more)' })),
  },
  { additionalProperties: false, description: 'of every attempt counted, answered or not; null without attempts' },
);

export const ConnectorHealthSchema = Type.Object(
  {
    connectorId: Type.String(),
    window: StringEnum(Object.keys(HEALTH_WINDOWS) as HealthWindow[]),
    bucketMs: Type.Integer({ description: 'the length of one bucket: a minute for 1h, 15 minutes for 24h, an hour for 7d' }),
    from: DateTime,
    to: DateTime,
    flushIntervalMs: Type.Integer({
      description: 'each node adds its counts to the store this often: the last seconds may not be in yet (a node killed loses them)',
    }),
    buckets: Type.Array(
      Type.Object({ at: DateTime, ok: count('answered 2xx'), failed: Failed, latency: Latency }, { additionalProperties: false }),
      { description: 'oldest first, every bucket of the window (zeros where nothing was sent)' },
    ),
    recent: Type.Object(
      { minutes: Type.Integer(), ok: Type.Integer({ minimum: 0 }), failed: Failed },
      { additionalProperties: false, description: 'the last few minutes, whatever the window' },
    ),
    current: Type.Object(
      {
        status: ConnectorStatusSchema,
        throttled: count('actions waiting on its rate limits (or its circuit), in the whole store'),
        inFlight: count('attempts this node has in flight to it'),
        rateLimits: Type.Array(
          Type.Object(
            {
              limit: Type.Integer({ minimum: 1 }),
              per: Type.Integer({ minimum: 1, description: 'ms' }),
              used: count('permits taken in the current window, by every node'),
              windowEndsAt: DateTime,
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ConnectorHealthView = Static<typeof ConnectorHealthSchema>;

/** The latency under which 95 % of the attempts came, estimated within its band (capped by the max). */
export function p95Estimate(bands: readonly number[], maxMs: number): number | null {
  const total = bands.reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const rank = 0.95 * total;
  let below = 0;
  for (let i = 0; i < bands.length; i++) {
    const n = bands[i]!;
    if (below + n >= rank && n > 0) {
      const lo = i === 0 ? 0 : LATENCY_BANDS_MS[i - 1]!;
      const hi = Math.min(LATENCY_BANDS_MS[i] ?? maxMs, maxMs);
      return Math.round(Math.min(maxMs, lo + ((hi - lo) * (rank - below)) / n));
    }
    below += n;
  }
  return maxMs;
}

const failedOf = (m: ConnectorMinute | undefined) => ({
  connection: m?.connection ?? 0,
  timeout: m?.timeout ?? 0,
  http4xx: m?.http4xx ?? 0,
  http5xx: m?.http5xx ?? 0,
});

export interface HealthDeps {
  store: Store;
  registry: Registry;
  engine: Engine;
  clock: Clock;
}

/** `c`: the connector as its page reads it (ConnectorService.get: a 404 when unknown, its status). */
export async function connectorHealth(d: HealthDeps, c: ConnectorView, window: HealthWindow): Promise<ConnectorHealthView> {
  const now = d.clock.now();
  const { spanMs, bucketMs } = HEALTH_WINDOWS[window];
  const n = spanMs / bucketMs;
  const from = windowStart(now, bucketMs) - (n - 1) * bucketMs;
  const to = from + n * bucketMs;
  const recentFrom = windowStart(now, MINUTE_MS) - (RECENT_MINUTES - 1) * MINUTE_MS;
  const limits = (await d.registry.connector(c.id)).spec.rateLimits;
  // Its action types, as the dashboard finds them (the registry may not hold every one yet).
  const types = new Set(
    (await d.store.listConfig('action_type'))
      .map((row) => d.registry.putActionType(row).compiled)
      .filter((t) => t.spec.connectorId === c.id)
      .map((t) => t.id),
  );
  const [rows, recent, used, throttled] = await Promise.all([
    d.store.readConnectorMinutes(c.id, from, to, bucketMs),
    d.store.readConnectorMinutes(c.id, recentFrom, recentFrom + RECENT_MINUTES * MINUTE_MS, RECENT_MINUTES * MINUTE_MS),
    d.store.rateWindowsUsed(
      c.id,
      limits.map((l) => ({ perMs: l.perMs, start: windowStart(now, l.perMs) })),
    ),
    d.store.countThrottledByActionType(),
  ]);
  const byStart = new Map(rows.map((r) => [r.minute, r]));
  const buckets = [];
  for (let at = from; at < to; at += bucketMs) {
    const m = byStart.get(at);
    const attempts = m ? m.ok + m.connection + m.timeout + m.http4xx + m.http5xx : 0;
    buckets.push({
      at: new Date(at).toISOString(),
      ok: m?.ok ?? 0,
      failed: failedOf(m),
      latency:
        m && attempts > 0
          ? { avgMs: Math.round(m.latencySumMs / attempts), maxMs: m.latencyMaxMs, p95Ms: p95Estimate(m.bands, m.latencyMaxMs) }
          : { avgMs: null, maxMs: null, p95Ms: null },
    });
  }
  let backlog = 0;
  for (const [typeId, k] of throttled) if (types.has(typeId)) backlog += k;
  return {
    connectorId: c.id,
    window,
    bucketMs,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    flushIntervalMs: STATS_FLUSH_MS,
    buckets,
    recent: { minutes: RECENT_MINUTES, ok: recent[0]?.ok ?? 0, failed: failedOf(recent[0]) },
    current: {
      status: c.status,
      throttled: backlog,
      inFlight: d.engine.connectorLoad().find((l) => l.connectorId === c.id)?.inFlight ?? 0,
      rateLimits: limits.map((l, i) => ({
        limit: l.limit,
        per: l.perMs,
        used: used[i] ?? 0,
        windowEndsAt: new Date(windowEnd(now, l.perMs)).toISOString(),
      })),
    },
  };
}
