// GET /v1/events: server-sent events that tell open pages what changed, so they refetch only what
// they show. One listener on the engine for all pages; changes are coalesced into one message per
// interval (ids and state words only), so a busy engine costs a Map write per change, not a
// message per page per change. New actions are noticed by one cheap newest-id query per interval
// while at least one page listens (launches do not pass through the engine's events).

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { stillAdmitted } from '../api/auth.ts';
import type { Callout } from '../callout.ts';
import type { ActionRecord } from '../lifecycle/action.ts';
import { PEOPLE } from '../api/roles.ts';
import { problem, sendProblem } from '../api/problem.ts';

export interface ActionChange {
  id: string;
  state: string;
  phase: string | null;
  reason: string | null;
  resolution: string | null;
}

const STORE_DOWN = `event: store\ndata: ${JSON.stringify({ ok: false })}\n\n`;
const STORE_BACK = `event: store\ndata: ${JSON.stringify({ ok: true })}\n\n`;
/** The last message of a feed whose key was revoked or whose session ended. */
const SIGNED_OUT = `event: signed-out\ndata: {}\n\n`;

/** How often the key or session of each open feed is checked again (a store read per feed). */
export const RECHECK_MS = 5000;

/** Most changes listed in one message; beyond that the page is told to refetch everything it shows. */
const MAX_IDS = 200;

/**
 * Bytes a feed may have waiting unread before it is dropped (about ten full messages): a client that
 * opens feeds and never reads them would otherwise grow the server's memory without bound. A browser
 * that was only slow reconnects (retry: 2000) and refetches what it shows.
 */
export const MAX_UNREAD_BYTES = 256 * 1024;

/** Feeds open at once per API key: a page holds one; a person has a few tabs. */
export const MAX_FEEDS_PER_KEY = 20;

export class EventHub {
  private readonly clients = new Set<FastifyReply>();
  private pending = new Map<string, ActionChange>();
  private overflow = false;
  private newestId: string | null | undefined;
  /** Whether the last look at the store failed: pages are told once when it fails and once when it is back. */
  private storeDown = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly onAction = (a: ActionRecord): void => {
    if (this.clients.size === 0) return;
    if (this.pending.size >= MAX_IDS) this.overflow = true;
    else this.pending.set(a.id, { id: a.id, state: a.state, phase: a.phase, reason: a.reason, resolution: a.resolution });
  };

  constructor(
    private readonly callout: Callout,
    private readonly intervalMs = 500,
    private readonly recheckMs = RECHECK_MS,
  ) {}
  private recheckedAt = performance.now();
  private rechecking = false;

  /** Feeds open under this key (the principal's id). */
  feedsOf(keyId: string): number {
    let n = 0;
    for (const c of this.clients) if (c.request.principal?.id === keyId) n++;
    return n;
  }

  add(reply: FastifyReply): void {
    this.clients.add(reply);
    // A page opened during an outage is told too, not only those open when it began.
    if (this.storeDown) reply.raw.write(STORE_DOWN);
    if (this.clients.size === 1) this.startListening();
  }

  remove(reply: FastifyReply): void {
    this.clients.delete(reply);
    if (this.clients.size === 0) this.stopListening();
  }

  close(): void {
    for (const c of this.clients) c.raw.end();
    this.clients.clear();
    this.stopListening();
  }

  private startListening(): void {
    this.callout.engine.on('action', this.onAction);
    this.timer = setInterval(() => void this.flush().catch(() => this.storeFailed()), this.intervalMs);
  }

  private stopListening(): void {
    this.callout.engine.off('action', this.onAction);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pending.clear();
    this.overflow = false;
    this.newestId = undefined;
    this.storeDown = false;
  }

  /**
   * The store did not answer (stopped after a failed write to disk, or out of reach): pages would
   * otherwise show what they have as if it were current. The stream stays open and says so.
   */
  private storeFailed(): void {
    const told = this.storeDown;
    // Set before writing: a write that drops the last feed resets it (stopListening), as it should.
    this.storeDown = true;
    this.write(told ? ': idle\n\n' : STORE_DOWN);
  }

  /**
   * Ends the feeds whose key was revoked (or its user disabled) or whose session was signed out since
   * they opened: the key is checked only when a request comes, and a feed is one request that lasts.
   */
  private async recheck(): Promise<void> {
    this.rechecking = true;
    try {
      for (const c of [...this.clients]) {
        if (!c.request.principal) continue;
        // A store that does not answer is not a sign-out: the feed says the store is down instead.
        if ((await stillAdmitted(c.request, this.callout).catch(() => true)) || !this.clients.has(c)) continue;
        this.remove(c);
        c.raw.end(SIGNED_OUT);
      }
    } finally {
      this.recheckedAt = performance.now();
      this.rechecking = false;
    }
  }

  private async flush(): Promise<void> {
    if (!this.rechecking && performance.now() - this.recheckedAt >= this.recheckMs) void this.recheck();
    const [newest] = await this.callout.store.listActions({ limit: 1 });
    if (this.storeDown) {
      this.storeDown = false;
      this.write(STORE_BACK);
    }
    const newestId = newest?.id ?? null;
    const launched = this.newestId !== undefined && newestId !== this.newestId;
    this.newestId = newestId;
    if (this.pending.size === 0 && !this.overflow && !launched) {
      // A comment line keeps proxies from closing an idle stream.
      this.write(': idle\n\n');
      return;
    }
    const msg = { changes: [...this.pending.values()], overflow: this.overflow, newestId };
    this.pending = new Map();
    this.overflow = false;
    this.write(`event: actions\ndata: ${JSON.stringify(msg)}\n\n`);
  }

  private write(text: string): void {
    for (const c of this.clients) {
      if (c.raw.writableLength > MAX_UNREAD_BYTES) {
        this.remove(c);
        c.raw.destroy();
      } else c.raw.write(text);
    }
  }
}

export const eventRoutes =
  (hub: EventHub): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/v1/events',
      {
        config: { roles: PEOPLE },
        schema: {
          tags: ['ui'],
          summary: 'Server-sent events: which actions changed (ids and states)',
          response: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
        },
      },
      (req, reply) => {
        const keyId = req.principal?.id;
        if (keyId !== undefined && hub.feedsOf(keyId) >= MAX_FEEDS_PER_KEY)
          return sendProblem(
            reply.header('retry-after', '10'),
            problem('RATE_LIMITED', `This key has ${MAX_FEEDS_PER_KEY} live feeds open already; close one first`),
          );
        reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // HEAD (Fastify adds one for every GET) gets the headers only: an open HEAD answer would hold its socket.
        if (req.method === 'HEAD') return void reply.raw.end();
        reply.raw.write('retry: 2000\n\n');
        hub.add(reply);
        req.raw.on('close', () => hub.remove(reply));
      },
    );
    app.addHook('preClose', async () => hub.close());
  };
