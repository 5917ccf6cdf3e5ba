// Outbound callbacks of the mock external system: after a delay, POST the outcome of an accepted
// request to the caller's callback URL, through one reused undici Pool per origin, with retries.
import { Pool } from 'undici';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';

/** Retries after the first attempt, on a connection error or a 5xx answer. */
export const CALLBACK_RETRIES = 3;
export const CALLBACK_RETRY_SPACING_MS = 200;
const CALLBACK_TIMEOUT_MS = 10_000;

export class CallbackSender {
  /** Retries after a failed callback (an external system that keeps trying while Callout restarts). */
  retries = CALLBACK_RETRIES;
  /** Callbacks the receiver answered with a 2xx. */
  sent = 0;
  /** Callbacks that ended without a 2xx: a 4xx, or 5xx / connection errors past the last retry. */
  errors = 0;
  private readonly pools = new Map<string, Pool>();
  private readonly timers = new Set<TimerHandle>();
  private inFlight = 0;
  private closed = false;

  /** `clock` times the callback delays and retries (a fake one lets tests step them). */
  constructor(private readonly clock: Clock = systemClock) {}

  /** Callbacks scheduled, being sent or waiting for a retry. */
  get pending(): number {
    return this.timers.size + this.inFlight;
  }

  /**
   * Sends `payload()` (JSON text, built at send time) to `target` after `delayMs`.
   * `headers` are added to the request (e.g. a signature the test asked for).
   */
  schedule(target: URL, delayMs: number, payload: () => string, headers?: Record<string, string>): void {
    if (this.closed) return;
    this.later(delayMs, () => this.attempt(target, payload(), headers, 0));
  }

  /** Cancels pending callbacks and drops the pools (in-flight callbacks are abandoned). */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }

  private attempt(target: URL, body: string, headers: Record<string, string> | undefined, retry: number): void {
    if (this.closed) return;
    this.inFlight++;
    this.poolFor(target.origin)
      .request({
        method: 'POST',
        path: target.pathname + target.search,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      })
      .then(async (res) => {
        await res.body.dump();
        this.inFlight--;
        if (res.statusCode < 300) this.sent++;
        else if (res.statusCode >= 500) this.retryLater(target, body, headers, retry);
        else this.errors++;
      })
      .catch(() => {
        this.inFlight--;
        this.retryLater(target, body, headers, retry);
      });
  }

  private retryLater(target: URL, body: string, headers: Record<string, string> | undefined, retry: number): void {
    if (this.closed) return;
    if (retry >= this.retries) {
      this.errors++;
      return;
    }
    this.later(CALLBACK_RETRY_SPACING_MS, () => this.attempt(target, body, headers, retry + 1));
  }

  private later(ms: number, fn: () => void): void {
    const timer = this.clock.setTimer(ms, () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 64,
        headersTimeout: CALLBACK_TIMEOUT_MS,
        bodyTimeout: CALLBACK_TIMEOUT_MS,
        connectTimeout: CALLBACK_TIMEOUT_MS,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}
