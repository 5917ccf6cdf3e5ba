// Caps on open connections: in all, and from one address. Without them, a client that opens sockets
// and sends nothing would use up the process's file descriptors (and with them the engine's outbound
// connections and the store's files); with the total alone, one client could hold every place.
// At the total cap a newcomer takes an idle socket's place (see capConnections); otherwise connections
// over a cap are closed as they arrive, and the log says so at most once a minute.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';

const WARN_EVERY_MS = 60_000;

export interface ConnectionCaps {
  /** Open connections in all. */
  max: number;
  /** Open connections from one address, an IPv6 one by its /64 (behind a proxy: the proxy's). */
  perAddress: number;
}

/** Counts refusals and reports them: the first at once, then what came since, once a minute. */
class Refusals {
  private counts = { total: 0, perAddress: 0, evicted: 0 };
  private last: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly caps: ConnectionCaps,
    private readonly logger: Logger,
  ) {}

  note(kind: 'total' | 'perAddress' | 'evicted', from: string | undefined): void {
    this.counts[kind]++;
    this.last = from;
    if (this.timer === undefined) {
      this.report();
      this.timer = setInterval(() => {
        if (this.counts.total + this.counts.perAddress + this.counts.evicted === 0) this.stop();
        else this.report();
      }, WARN_EVERY_MS).unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private report(): void {
    this.logger.warn(
      {
        refusedSinceLastWarning: this.counts.total + this.counts.perAddress,
        overTotal: this.counts.total,
        overPerAddress: this.counts.perAddress,
        idleClosedForNewcomers: this.counts.evicted,
        lastFrom: this.last,
        maxConnections: this.caps.max,
        maxConnectionsPerAddress: this.caps.perAddress,
      },
      'connections refused: over CALLOUT_MAX_CONNECTIONS (all clients) or CALLOUT_MAX_CONNECTIONS_PER_ADDRESS (one address); at the first, idle sockets of the address holding the most are closed for newcomers first',
    );
    this.counts = { total: 0, perAddress: 0, evicted: 0 };
  }
}

/**
 * What one client is, for the per-address cap: an IPv4 address (mapped ones too) as it is, an IPv6
 * address by its /64, the block one site or host is usually given (counting exact IPv6 addresses would
 * let one host take every place with addresses of its own block).
 */
export function clientOf(address: string): string {
  if (!address.includes(':') || address.toLowerCase().startsWith('::ffff:')) return address;
  const [head = '', tail] = address.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.toLowerCase().replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}

/** How long a socket must have been quiet (no request in flight, nothing answered) to be closed for a newcomer. */
export const EVICT_IDLE_AFTER_MS = 1_000;

/** Sockets over the total cap that Node itself accepts, so a newcomer can take an idle socket's place. */
const EVICTION_HEADROOM = 64;

const capsOf = new WeakMap<Server, ConnectionCaps>();

/** The caps a server was given (for tests and diagnostics). */
export function connectionCapsOf(server: Server): ConnectionCaps | undefined {
  return capsOf.get(server);
}

/** How long a new connection has to send its first request's headers (the server's headersTimeout). */
export const FIRST_REQUEST_TIMEOUT_MS = 15_000;

interface Held {
  from: string;
  /** Closes the socket if no request comes: Node's headersTimeout starts only once bytes arrive. */
  silent: NodeJS.Timeout | undefined;
  /** Requests on the socket not yet answered (pipelined ones count one each). */
  inFlight: number;
  /** When a request last started or ended on it, or when it connected. */
  lastActive: number;
}

/**
 * Caps the server's connections. At the total cap, a newcomer takes the place of the socket quiet the
 * longest (for at least {@link EVICT_IDLE_AFTER_MS}, with no request in flight) of the address that holds
 * the most places: a few addresses holding every place with idle keep-alive sockets or half-sent
 * headers cannot keep everyone else out, and a client with a request in flight (a live feed, a long
 * Test action) is never cut for another. Only when no such socket exists is the newcomer closed.
 */
export function capConnections(
  server: Server,
  caps: ConnectionCaps,
  logger: Logger,
  firstRequestMs = FIRST_REQUEST_TIMEOUT_MS,
): { close(): void } {
  // Zero would close every connection as it opens.
  if (!(firstRequestMs >= 1_000)) throw new Error(`firstRequestTimeoutMs must be at least 1000 ms, not ${firstRequestMs}`);
  capsOf.set(server, caps);
  // A hard bound kept by Node (it drops at accept), a little over the cap; the cap itself is kept here.
  server.maxConnections = caps.max + EVICTION_HEADROOM;
  const refusals = new Refusals(caps, logger);
  server.on('drop', (data?: { remoteAddress?: string }) => refusals.note('total', data?.remoteAddress));
  const held = new Map<Socket, Held>();
  const byAddress = new Map<string, Set<Socket>>();
  let searchAfter = 0;

  /** The socket to close for a newcomer, if any may be. */
  const victim = (now: number): Socket | undefined => {
    // From the address holding the most places down: one whose sockets are all busy (live feeds)
    // must not shelter another's idle ones.
    for (const set of [...byAddress.values()].sort((a, b) => b.size - a.size)) {
      let best: Socket | undefined;
      let bestAt = now - EVICT_IDLE_AFTER_MS;
      for (const socket of set) {
        const h = held.get(socket)!;
        if (h.inFlight === 0 && h.lastActive <= bestAt) {
          best = socket;
          bestAt = h.lastActive;
        }
      }
      if (best !== undefined) return best;
    }
    return undefined;
  };

  server.on('connection', (socket: Socket) => {
    const from = clientOf(socket.remoteAddress ?? '');
    const mine = byAddress.get(from);
    if ((mine?.size ?? 0) >= caps.perAddress) {
      refusals.note('perAddress', from);
      socket.destroy();
      return;
    }
    const now = Date.now();
    if (held.size >= caps.max) {
      // After a search that found no quiet socket, newcomers are refused unsearched for a moment: a
      // flood of connections at the cap costs a look-up each only every 100 ms.
      const out = now < searchAfter ? undefined : victim(now);
      if (out === undefined) {
        if (now >= searchAfter) searchAfter = now + 100;
        refusals.note('total', from);
        socket.destroy();
        return;
      }
      refusals.note('evicted', held.get(out)!.from);
      forget(out);
      out.destroy();
    }
    // A socket that never sends a byte is otherwise kept until a cap is reached (a review found
    // thousands held that way, within the caps, with no request to time out).
    const silent = setTimeout(() => socket.destroy(), firstRequestMs).unref();
    held.set(socket, { from, silent, inFlight: 0, lastActive: now });
    const set = mine ?? new Set<Socket>();
    set.add(socket);
    byAddress.set(from, set);
    socket.once('close', () => forget(socket));
  });

  const forget = (socket: Socket): void => {
    const h = held.get(socket);
    if (h === undefined) return;
    clearTimeout(h.silent);
    held.delete(socket);
    const set = byAddress.get(h.from);
    set?.delete(socket);
    if (set?.size === 0) byAddress.delete(h.from);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const h = held.get(req.socket);
    if (h === undefined) return;
    if (h.silent !== undefined) {
      clearTimeout(h.silent);
      h.silent = undefined;
    }
    h.inFlight += 1;
    h.lastActive = Date.now();
    res.once('close', () => {
      h.inFlight -= 1;
      h.lastActive = Date.now();
    });
  });
  return { close: () => refusals.stop() };
}
