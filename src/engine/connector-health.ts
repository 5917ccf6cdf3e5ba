// Each connector's health as this node sees it: a cache of the shared status (circuit breaker,
// needs attention) refreshed every few hundred ms, and attempt outcomes reported back in batches.

import type { Store } from '../store/types.ts';
import type { Logger } from '../logger.ts';
import { admission, statusView, type Admission, type ConnectorStatus } from '../connectors/circuit.ts';
import type { ConnectorStatusView } from '../connectors/schemas.ts';
import type { ConnectorEntry } from './registry.ts';

export class ConnectorHealth {
  private statuses = new Map<string, ConnectorStatus>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  private outcomes = new Map<string, { connector: ConnectorEntry; list: Array<{ ok: boolean; error?: string }> }>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    /** How stale the cached statuses may get (real time, not the injected clock: it is a cache). */
    private readonly maxAgeMs = 250,
  ) {}

  /** Reloads the shared statuses when the cache is older than maxAgeMs. */
  async refresh(force = false): Promise<void> {
    if (!force && performance.now() - this.loadedAt < this.maxAgeMs) return;
    this.loading ??= this.store
      .listConnectorStatus()
      .then((list) => {
        this.statuses = new Map(list.map((s) => [s.connectorId, s]));
        this.loadedAt = performance.now();
      })
      .finally(() => (this.loading = null));
    await this.loading;
  }

  admission(connectorId: string, now: number): Admission {
    return admission(this.statuses.get(connectorId), now);
  }

  /** Takes the one probe an open circuit allows; false when another node (or attempt) has it. */
  async claimProbe(connectorId: string, now: number, until: number): Promise<boolean> {
    const { status, applied } = await this.store.updateConnectorStatus(connectorId, { kind: 'probe', now, until });
    this.statuses.set(connectorId, status);
    return applied;
  }

  /** Notes an attempt's outcome for the breaker: failures are connection errors, timeouts and 5xx. */
  record(connector: ConnectorEntry, ok: boolean, error?: string): void {
    let e = this.outcomes.get(connector.id);
    if (!e) this.outcomes.set(connector.id, (e = { connector, list: [] }));
    e.list.push(ok ? { ok } : { ok, ...(error ? { error } : {}) });
  }

  async flush(now: number): Promise<void> {
    if (this.outcomes.size === 0) return;
    const batch = this.outcomes;
    this.outcomes = new Map();
    for (const [id, { connector, list }] of batch) {
      const known = this.statuses.get(id);
      // All good and nothing to undo: no write on the hot path.
      if (list.every((o) => o.ok) && (!known || (known.circuit === 'closed' && known.failures === 0))) continue;
      try {
        // A connector with no status yet has a closed circuit: its first failure changes nothing to report.
        const before = known?.circuit ?? 'closed';
        const { status: s } = await this.store.updateConnectorStatus(id, {
          kind: 'outcomes',
          outcomes: list,
          breaker: connector.spec.circuitBreaker,
          now,
        });
        this.statuses.set(id, s);
        if (before !== s.circuit)
          this.logger.warn(
            { connector: connector.spec.name, circuit: s.circuit, failures: s.failures, lastError: s.lastError },
            `circuit ${s.circuit}`,
          );
      } catch (err) {
        this.logger.warn({ err, connector: id }, 'recording attempt outcomes failed');
      }
    }
  }

  async setAttention(connectorId: string, message: string | null, now: number): Promise<void> {
    const { status } = await this.store.updateConnectorStatus(connectorId, { kind: 'attention', message, now });
    this.statuses.set(connectorId, status);
  }

  view(connectorId: string, now: number): ConnectorStatusView {
    return statusView(this.statuses.get(connectorId), now);
  }
}
