// Sends one webhook delivery attempt through the same guarded outbound path as connectors (private
// and loopback addresses refused after DNS unless allowed, checked again on the connected socket),
// never following redirects, under one deadline for the whole exchange, reading at most a small
// excerpt of the answer.

import { Agent, errors as undiciErrors } from 'undici';
import { outboundConnector } from '../connectors/guarded-connect.ts';
import { DestinationRefusedError } from '../connectors/destination.ts';
import { MAX_RESPONSE_EXCERPT, type AttemptOutcome } from './delivery-policy.ts';

export interface WebhookSendResult {
  outcome: AttemptOutcome;
  durationMs: number;
  /** The start of the response body, when there was one. */
  excerpt: string | null;
}

export class WebhookSender {
  /**
   * One agent (its own connections) per subscription: with one shared by all, a receiver that holds
   * its requests took every connection to its host and port, and another subscription on that origin
   * (one gateway, many hooks) waited in the queue until its attempts were recorded as timeouts.
   */
  private readonly agents = new Map<string, { agent: Agent; usedAt: number; inFlight: number }>();
  private sweptAt = performance.now();

  constructor(
    private readonly opts: {
      allowPrivateNetworks: boolean;
      timeoutMs: number;
      connections?: number;
      /** An agent unused this long is closed (a deleted or paused subscription's); @default 60 s. */
      idleMs?: number;
    },
  ) {}

  /** Subscriptions that have an agent now (a test's view of how many are kept). */
  get pools(): number {
    return this.agents.size;
  }

  private agentOf(pool: string): { agent: Agent; usedAt: number; inFlight: number } {
    const now = performance.now();
    const idleMs = this.opts.idleMs ?? 60_000;
    // Agents of subscriptions no longer sent to (deleted, paused, disabled) are closed, checked at
    // most once per idle period: otherwise each subscription ever sent to would keep one for good.
    if (now - this.sweptAt >= idleMs) {
      this.sweptAt = now;
      for (const [key, e] of this.agents)
        if (key !== pool && e.inFlight === 0 && now - e.usedAt >= idleMs) {
          this.agents.delete(key);
          e.agent.close().catch(() => undefined);
        }
    }
    let entry = this.agents.get(pool);
    if (!entry) {
      entry = {
        agent: new Agent({
          connections: this.opts.connections ?? 16,
          keepAliveTimeout: 10_000,
          connect: outboundConnector({ timeout: this.opts.timeoutMs, allowPrivateNetworks: this.opts.allowPrivateNetworks }),
        }),
        usedAt: now,
        inFlight: 0,
      };
      this.agents.set(pool, entry);
    }
    entry.usedAt = now;
    return entry;
  }

  /** One attempt; `pool` names whose connections it uses (the subscription's id). */
  async send(url: string, headers: Record<string, string>, body: string, pool = ''): Promise<WebhookSendResult> {
    const started = performance.now();
    const ctl = new AbortController();
    // The whole exchange, body included: a receiver trickling bytes cannot hold a worker slot for ever.
    const timer = setTimeout(() => ctl.abort(new Error('deadline')), this.opts.timeoutMs);
    const took = (): number => Math.round(performance.now() - started);
    const entry = this.agentOf(pool);
    entry.inFlight += 1;
    try {
      const res = await entry.agent.request({
        origin: new URL(url).origin,
        path: pathOf(url),
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'Callout-Webhooks/1' },
        body,
        signal: ctl.signal,
      });
      const excerpt = await readExcerpt(res.body);
      const retryAfter = res.headers['retry-after'];
      return {
        outcome: { kind: 'response', status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : null },
        durationMs: took(),
        excerpt,
      };
    } catch (err) {
      if (ctl.signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError)
        return { outcome: { kind: 'timeout' }, durationMs: took(), excerpt: null };
      const cause = (err as { cause?: unknown }).cause;
      if (err instanceof DestinationRefusedError || cause instanceof DestinationRefusedError)
        return {
          outcome: { kind: 'refused', message: ((cause as Error | undefined) ?? (err as Error)).message },
          durationMs: took(),
          excerpt: null,
        };
      return { outcome: { kind: 'connection_error', message: (err as Error).message }, durationMs: took(), excerpt: null };
    } finally {
      clearTimeout(timer);
      entry.inFlight -= 1;
      entry.usedAt = performance.now();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((e) => e.agent.close()));
    this.agents.clear();
  }
}

const pathOf = (url: string): string => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** At most MAX_RESPONSE_EXCERPT bytes of the body; the rest is not read (the connection is dropped). */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size > MAX_RESPONSE_EXCERPT) {
      body.destroy();
      break;
    }
  }
  if (size === 0) return null;
  const text = Buffer.concat(parts).subarray(0, MAX_RESPONSE_EXCERPT).toString('utf8');
  return size > MAX_RESPONSE_EXCERPT ? `${text}…` : text;
}
