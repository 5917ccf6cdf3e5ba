// This node's metrics in Prometheus's text format (GET /metrics): the process (CPU, memory, event-loop
// delay, GC), the HTTP API, attempts sent per connector, timer lateness, and the store's open work.
// Counters are this node's since it started (Prometheus sums the nodes); the store's counts are the
// whole installation's, read at most once every few seconds however often it is scraped.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Callout } from '../callout.ts';
import type { Activity } from '../ui/dashboard.ts';
import { PHASES, STATES } from '../lifecycle/states.ts';

/** How long the store's counts are reused: scrapes from several Prometheus servers cost one read. */
export const STORE_COUNTS_TTL_MS = 5_000;

/**
 * How long a rendered scrape is reused. A render is ~15 ms of the event loop at a few hundred series,
 * and a key may make 100 requests a second: without this, a handful of eager scrapers (or one leaked
 * metrics key) took /health from 30 ms to a 268 ms median. Prometheus scrapes every 15 s by default.
 */
export const RENDER_REUSE_MS = 1_000;

/** Whether something made at `at` is still to be used at `now`: a clock stepped back (NTP, a resumed VM) expires it. */
const fresh = (at: number, ttlMs: number, now: number): boolean => now >= at && now - at < ttlMs;

const OPEN_STATES = [STATES.waiting, STATES.todo, STATES.in_progress] as const;
const CIRCUITS = ['closed', 'open', 'half_open'] as const;
type Circuit = (typeof CIRCUITS)[number];

interface StoreCounts {
  states: Record<string, number>;
  phases: Record<string, number>;
  connectors: Array<{ name: string; circuit: Circuit; needsAttention: boolean }>;
}

/**
 * The process's own metrics, collected once per process however many servers it builds (each
 * collection starts an event-loop monitor and a GC observer that nothing stops).
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class Metrics {
  readonly registry = new Registry();
  private counts: { at: number; value: Promise<StoreCounts> } | undefined;
  private rendered: { at: number; body: Promise<string> } | undefined;
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  /** Undoes what the constructor hooked into the engine and the webhook worker. */
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly callout: Callout,
    activity: Activity,
    private readonly reuseMs = RENDER_REUSE_MS,
  ) {
    const registers = [this.registry];
    new Gauge({
      name: 'callout_info',
      help: 'This node: its store kind and node id (always 1)',
      labelNames: ['store', 'node'],
      registers,
      collect() {
        this.reset();
        this.set({ store: callout.store.kind, node: callout.engine.instanceId }, 1);
      },
    });
    const attempts = new Counter({
      name: 'callout_attempts_total',
      help: 'Attempts this node sent to external systems, by connector; result "failed" counts those that failed (retried or not)',
      labelNames: ['connector', 'result'],
      registers,
    });
    activity.listeners.push((connectorId, sends, failures) => {
      const connector = callout.registry.cachedConnector(connectorId)?.spec.name ?? connectorId;
      if (sends > 0) attempts.inc({ connector, result: 'sent' }, sends);
      if (failures > 0) attempts.inc({ connector, result: 'failed' }, failures);
    });
    const webhooks = new Counter({
      name: 'callout_webhook_attempts_total',
      help: 'Webhook delivery attempts this node made, by what came of them: delivered, retry (failed, another attempt is due), failed (no attempt left), endpoint_gone (410: the subscription was disabled)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['delivered', 'retry', 'failed', 'endpoint_gone']) webhooks.inc({ result }, 0);
    const onWebhookAttempt = (result: string): void => webhooks.inc({ result });
    callout.webhookWorker.attemptListeners.push(onWebhookAttempt);
    this.detach.push(() => {
      const list = callout.webhookWorker.attemptListeners;
      const i = list.indexOf(onWebhookAttempt);
      if (i >= 0) list.splice(i, 1);
    });
    const lateness = new Histogram({
      name: 'callout_timer_lateness_seconds',
      help: 'How late after its due time this node claimed each due action (launch, retry, timeout, resume)',
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const onLateness = (ms: number): void => lateness.observe(ms / 1000);
    callout.engine.lateness.observer = onLateness;
    // Another server built on the same Callout (a library's second listener) takes the observer over.
    this.detach.push(() => {
      if (callout.engine.lateness.observer === onLateness) callout.engine.lateness.observer = undefined;
    });
    this.http = new Histogram({
      name: 'callout_http_request_duration_seconds',
      help: 'Requests this node answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const counts = (): Promise<StoreCounts> => this.storeCounts();
    new Gauge({
      name: 'callout_actions',
      help: 'Actions in each open state, in the whole store',
      labelNames: ['state'],
      registers,
      async collect() {
        const c = await counts();
        this.reset();
        for (const state of OPEN_STATES) this.set({ state }, c.states[state] ?? 0);
      },
    });
    new Gauge({
      name: 'callout_actions_waiting',
      help: 'Waiting actions by what the engine is doing with them (queued, throttled, sending, retry_scheduled, awaiting_callback), in the whole store',
      labelNames: ['phase'],
      registers,
      async collect() {
        const c = await counts();
        this.reset();
        for (const phase of Object.values(PHASES)) this.set({ phase }, c.phases[phase] ?? 0);
      },
    });
    new Gauge({
      name: 'callout_connector_circuit',
      help: "Each connector's circuit: 1 for the state it is in (closed, open, half_open), 0 for the others",
      labelNames: ['connector', 'circuit'],
      registers,
      async collect() {
        const c = await counts();
        this.reset();
        for (const k of c.connectors)
          for (const circuit of CIRCUITS) this.set({ connector: k.name, circuit }, k.circuit === circuit ? 1 : 0);
      },
    });
    // This node's own view, read at each scrape: the attempts it has in flight per connector, and the
    // systems it holds back as slow (engine/bulkhead.ts), every connector listed so an alert sees 0.
    const load = (): Map<string, { inFlight: number; slow: boolean }> =>
      new Map(
        callout.engine
          .connectorLoad()
          .map((l) => [
            callout.registry.cachedConnector(l.connectorId)?.spec.name ?? l.connectorId,
            { inFlight: l.inFlight, slow: l.slow },
          ]),
      );
    const perConnector = (name: string, help: string, value: (l: { inFlight: number; slow: boolean } | undefined) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['connector'],
        registers,
        async collect() {
          const c = await counts();
          const l = load();
          this.reset();
          for (const k of c.connectors) this.set({ connector: k.name }, value(l.get(k.name)));
        },
      });
    };
    perConnector(
      'callout_connector_attempts_in_flight',
      "Attempts this node has in flight to each connector's system",
      (l) => l?.inFlight ?? 0,
    );
    perConnector(
      'callout_connector_slow',
      "1 while this node takes a connector's system for slow (attempts in flight over a second) and keeps it to its share of the attempts, else 0",
      (l) => (l?.slow ? 1 : 0),
    );
    new Gauge({
      name: 'callout_connector_needs_attention',
      help: 'Connectors that need a person (their credentials were refused): 1, else 0',
      labelNames: ['connector'],
      registers,
      async collect() {
        const c = await counts();
        this.reset();
        for (const k of c.connectors) this.set({ connector: k.name }, k.needsAttention ? 1 : 0);
      },
    });
  }

  /** Records one answered request; `route` is the route's pattern (never the raw path: ids would make a series each). */
  observeRequest(method: string, route: string | undefined, status: number, ms: number): void {
    // Any method Node parses reaches here, with or without a key: the rest are one series, not ~35.
    const m = METHODS.has(method) ? method : 'other';
    this.http.observe({ method: m, route: route ?? 'unmatched', status: String(status) }, ms / 1000);
  }

  /** The store's counts, shared by the gauges of one scrape and reused for a few seconds. */
  private storeCounts(): Promise<StoreCounts> {
    const now = this.callout.clock.now();
    if (this.counts !== undefined && fresh(this.counts.at, STORE_COUNTS_TTL_MS, now)) return this.counts.value;
    const { store } = this.callout;
    const value = (async (): Promise<StoreCounts> => {
      const states = Object.fromEntries(await Promise.all(OPEN_STATES.map(async (state) => [state, await store.countActions({ state })])));
      const phases = Object.fromEntries(
        await Promise.all(Object.values(PHASES).map(async (phase) => [phase, await store.countActions({ state: 'waiting', phase })])),
      );
      const connectors = (await this.callout.connectors.list()).map((c) => ({
        name: c.name as string,
        circuit: c.status.circuit,
        needsAttention: c.status.needsAttention !== null,
      }));
      return { states, phases, connectors };
    })();
    // A failed read is not reused: the next scrape tries again.
    value.catch(() => {
      if (this.counts?.value === value) this.counts = undefined;
    });
    this.counts = { at: now, value };
    return value;
  }

  /** The text a scrape gets: one render serves every scrape that arrives while it runs and for `reuseMs` after. */
  async text(): Promise<{ contentType: string; body: string }> {
    const now = this.callout.clock.now();
    if (this.rendered === undefined || !fresh(this.rendered.at, this.reuseMs, now)) {
      const body = Registry.merge([processMetrics(), this.registry]).metrics();
      // A failed render is not reused: the next scrape tries again.
      body.catch(() => {
        if (this.rendered?.body === body) this.rendered = undefined;
      });
      this.rendered = { at: now, body };
    }
    return { contentType: this.registry.contentType, body: await this.rendered.body };
  }

  close(): void {
    for (const d of this.detach) d();
    this.registry.clear();
  }
}
