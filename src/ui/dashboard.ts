// The dashboard's numbers: sends and failures per connector per minute (kept in memory by this
// node from the engine's own writes, the last hour), circuit state, and the throttled backlog.

import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Callout } from '../callout.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { PEOPLE } from '../api/roles.ts';
import { ConnectorStatusSchema, Nullable } from '../connectors/schemas.ts';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** GET /v1/dashboard, as the OpenAPI document describes it (every test's answer is checked against it). */
export const DashboardSchema = Type.Object(
  {
    bucketMs: Type.Integer({ description: 'the length of one bucket of a series (a minute)' }),
    since: Type.String({ format: 'date-time', description: 'when this node began counting (series before it are zeros)' }),
    timerLateness: Nullable(
      Type.Object(
        {
          windowMs: Type.Integer(),
          samples: count('due actions claimed in the window'),
          p50Ms: Type.Number(),
          p99Ms: Type.Number(),
          maxMs: Type.Number(),
        },
        { description: 'how late this node claimed due actions over the last minute; null when nothing was due' },
      ),
    ),
    connectors: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        status: ConnectorStatusSchema,
        throttled: count('actions waiting on its rate limits'),
        series: Type.Array(
          Type.Object({ at: Type.String({ format: 'date-time' }), sends: count('attempts sent'), failures: count('attempts that failed') }),
          { description: "this node's last hour, a bucket a minute, oldest first" },
        ),
      }),
    ),
  },
  { additionalProperties: false },
);

const BUCKET_MS = 60_000;
const BUCKETS = 60;
/** Attempts last seen per action, to tell a new attempt from another write; bounded. */
const MAX_TRACKED = 50_000;

interface Bucket {
  at: number;
  sends: number;
  failures: number;
}

export class Activity {
  private readonly series = new Map<string, Bucket[]>();
  private readonly attemptsSeen = new Map<string, number>();
  readonly since: number;
  /** Told of each write's new attempts and failures, by connector id (the metrics' counters). */
  readonly listeners: Array<(connectorId: string, sends: number, failures: number) => void> = [];
  private readonly onAction = (a: ActionRecord): void => this.record(a);

  constructor(private readonly callout: Callout) {
    this.since = callout.clock.now();
    callout.engine.on('action', this.onAction);
  }

  close(): void {
    this.callout.engine.off('action', this.onAction);
  }

  /** A write that recorded an attempt raises `attempts`; a failed one also sets lastErrorAt to its time. */
  private record(a: ActionRecord): void {
    const seen = this.attemptsSeen.get(a.id);
    // First sight of an action: its first attempt's outcome is the usual first write the engine emits.
    const sends = seen === undefined ? (a.attempts === 1 && a.callbackOutcome === null ? 1 : 0) : Math.max(0, a.attempts - seen);
    const failed = a.lastErrorAt !== null && a.lastErrorAt === a.updatedAt ? 1 : 0;
    this.attemptsSeen.delete(a.id);
    if (a.state !== 'closed') this.attemptsSeen.set(a.id, a.attempts);
    if (this.attemptsSeen.size > MAX_TRACKED) this.attemptsSeen.delete(this.attemptsSeen.keys().next().value!);
    if (sends === 0 && failed === 0) return;
    const connectorId =
      a.actionTypeId === null ? undefined : this.callout.registry.cachedActionType(a.actionTypeId)?.compiled.spec.connectorId;
    if (!connectorId) return;
    for (const l of this.listeners) l(connectorId, sends, failed);
    const at = Math.floor(a.updatedAt / BUCKET_MS) * BUCKET_MS;
    const list = this.series.get(connectorId) ?? [];
    let b = list[list.length - 1];
    if (!b || b.at !== at) {
      b = { at, sends: 0, failures: 0 };
      list.push(b);
      while (list.length > 0 && list[0]!.at <= at - BUCKETS * BUCKET_MS) list.shift();
    }
    b.sends += sends;
    b.failures += failed;
    this.series.set(connectorId, list);
  }

  /** The last hour per minute, zeros filled in, oldest first. */
  seriesOf(connectorId: string, now: number): Bucket[] {
    const end = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const have = new Map((this.series.get(connectorId) ?? []).map((b) => [b.at, b]));
    const out: Bucket[] = [];
    for (let at = end - (BUCKETS - 1) * BUCKET_MS; at <= end; at += BUCKET_MS) out.push(have.get(at) ?? { at, sends: 0, failures: 0 });
    return out;
  }
}

export const dashboardRoutes =
  (callout: Callout, activity: Activity): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onClose', async () => activity.close());
    app.get(
      '/v1/dashboard',
      {
        config: { roles: PEOPLE },
        schema: { tags: ['ui'], summary: 'Connector health and activity for the dashboard', response: { 200: DashboardSchema } },
      },
      async () => {
        const now = callout.clock.now();
        const [connectors, types] = await Promise.all([callout.connectors.list(), callout.actionTypes.list()]);
        // One grouped count for every action type (it was a count per action type).
        const throttled = await callout.store.countThrottledByActionType();
        const throttledByType = types.map((t) => ({ connectorId: t.connector as string, n: throttled.get(t.id as string) ?? 0 }));
        return {
          bucketMs: BUCKET_MS,
          since: new Date(activity.since).toISOString(),
          // How late this node claimed due actions over the last minute (null: nothing was due).
          timerLateness: callout.engine.lateness.summary(now),
          connectors: connectors.map((c) => ({
            id: c.id,
            name: c.name,
            status: c.status,
            throttled: throttledByType.filter((x) => x.connectorId === c.id).reduce((s, x) => s + x.n, 0),
            series: activity.seriesOf(c.id as string, now).map((b) => ({ ...b, at: new Date(b.at).toISOString() })),
          })),
        };
      },
    );
  };
