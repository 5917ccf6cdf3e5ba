// Each connector's attempts per minute, counted in memory on the send path (a map lookup and a few
// additions an attempt) and added to the store's connector_minutes every few seconds and at stop: one
// small transaction per flush, however many attempts it covers, never a write per attempt. Several
// nodes each add their own counts. A node killed between flushes loses at most those seconds of
// statistics (never any work). The same job deletes minutes older than the retention, a batch at a time.

import type { ConnectorMinute, Store } from '../store/types.ts';
import type { Logger } from '../logger.ts';
import type { SendResult } from './sender.ts';
import { isOutcomeUnknown } from '../store/failures.ts';

/** The upper bounds of the latency bands but the last (3 s or more): enough for a p95 estimate. */
export const LATENCY_BANDS_MS = [100, 300, 1000, 3000] as const;
export const MINUTE_MS = 60_000;
/** How often a node adds what it counted to the store. */
export const STATS_FLUSH_MS = 10_000;
/** How long minutes are kept. */
export const STATS_RETENTION_MS = 7 * 24 * 3_600_000;
/** Old minutes deleted at most per flush: a backlog (a node off for a week) goes over several. */
const DELETE_BATCH = 1000;

function band(ms: number): number {
  let i = 0;
  while (i < LATENCY_BANDS_MS.length && ms >= LATENCY_BANDS_MS[i]!) i++;
  return i;
}

export class ConnectorStats {
  /** Per connector, the minutes counted since the last flush (one, or two across a minute's turn). */
  private counted = new Map<string, ConnectorMinute[]>();
  private prunedAt = -Infinity;
  /** The flush under way or the last one: the next waits for it. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /**
   * Counts an attempt that reached (or tried to reach) the external system at `now`. Those that never
   * left (refused destination, unsendable, past its rate-limit window) are no measure of the system.
   */
  note(connectorId: string, result: SendResult, now: number): void {
    let kind: 'ok' | 'connection' | 'timeout' | 'http4xx' | 'http5xx';
    switch (result.kind) {
      case 'answered':
      case 'too_large':
        kind = result.status >= 200 && result.status < 300 ? 'ok' : result.status >= 500 ? 'http5xx' : 'http4xx';
        break;
      case 'credentials_refused':
        kind = 'http4xx';
        break;
      case 'connection_error':
        kind = 'connection';
        break;
      case 'timeout':
        kind = 'timeout';
        break;
      default:
        return;
    }
    const minute = now - (now % MINUTE_MS);
    let list = this.counted.get(connectorId);
    if (!list) this.counted.set(connectorId, (list = []));
    let m: ConnectorMinute | undefined = list[list.length - 1];
    if (!m || m.minute !== minute) {
      m = list.find((x) => x.minute === minute);
      if (!m) {
        m = {
          connectorId,
          minute,
          ok: 0,
          connection: 0,
          timeout: 0,
          http4xx: 0,
          http5xx: 0,
          latencySumMs: 0,
          latencyMaxMs: 0,
          bands: [0, 0, 0, 0, 0],
        };
        list.push(m);
      }
    }
    m[kind]++;
    const ms = Math.max(0, Math.round(result.durationMs));
    m.latencySumMs += ms;
    if (ms > m.latencyMaxMs) m.latencyMaxMs = ms;
    m.bands[band(ms)]!++;
  }

  /** Adds what was counted to the store, and (`prune`) deletes a batch of expired minutes once a minute. */
  flush(now: number, prune = true): Promise<void> {
    // One at a time: a slow store makes the next flush wait (and carry more), not run beside it.
    const run = this.flushing.then(() => this.write(now, prune));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async write(now: number, prune: boolean): Promise<void> {
    const batch = this.counted;
    this.counted = new Map();
    const rows = [...batch.values()].flat();
    if (rows.length > 0) {
      rows.sort((a, b) => (a.connectorId < b.connectorId ? -1 : a.connectorId > b.connectorId ? 1 : a.minute - b.minute));
      try {
        await this.store.addConnectorMinutes(rows);
      } catch (err) {
        // Kept for the next flush rather than lost to a passing failure (a store restart); not when the
        // commit may have happened: counted twice would be worse than a few seconds missing.
        if (!isOutcomeUnknown(err)) this.restore(rows);
        this.logger.warn({ err }, 'recording connector statistics failed; tried again at the next flush');
      }
    }
    if (!prune || now - this.prunedAt < MINUTE_MS) return;
    this.prunedAt = now;
    try {
      await this.store.deleteConnectorMinutesBefore(now - STATS_RETENTION_MS, DELETE_BATCH);
    } catch (err) {
      this.logger.warn({ err }, 'deleting old connector statistics failed');
    }
  }

  private restore(rows: ConnectorMinute[]): void {
    for (const r of rows) {
      let list = this.counted.get(r.connectorId);
      if (!list) this.counted.set(r.connectorId, (list = []));
      const m = list.find((x) => x.minute === r.minute);
      if (!m) {
        list.unshift(r);
        continue;
      }
      m.ok += r.ok;
      m.connection += r.connection;
      m.timeout += r.timeout;
      m.http4xx += r.http4xx;
      m.http5xx += r.http5xx;
      m.latencySumMs += r.latencySumMs;
      m.latencyMaxMs = Math.max(m.latencyMaxMs, r.latencyMaxMs);
      for (let i = 0; i < m.bands.length; i++) m.bands[i]! += r.bands[i] ?? 0;
    }
  }
}
