// Caps on open connections: in all, and from one address. Without them, a client that opens sockets
// and sends nothing would use up the process's file descriptors (and with them the engine's outbound
// connections and the store's files); with the total alone, one client could hold every place.
// Connections over a cap are closed as they arrive, and the log says so at most once a minute.

import type { Server } from 'node:http';
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
  private counts = { total: 0, perAddress: 0 };
  private last: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly caps: ConnectionCaps,
    private readonly logger: Logger,
  ) {}

  note(kind: 'total' | 'perAddress', from: string | undefined): void {
    this.counts[kind]++;
    this.last = from;
    if (this.timer === undefined) {
      this.report();
      this.timer = setInterval(() => {
        if (this.counts.total + this.counts.perAddress === 0) this.stop();
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
        lastFrom: this.last,
        maxConnections: this.caps.max,
        maxConnectionsPerAddress: this.caps.perAddress,
      },
      'connections refused: over CALLOUT_MAX_CONNECTIONS (all clients) or CALLOUT_MAX_CONNECTIONS_PER_ADDRESS (one address)',
    );
    this.counts = { total: 0, perAddress: 0 };
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

export function capConnections(server: Server, caps: ConnectionCaps, logger: Logger): { close(): void } {
  server.maxConnections = caps.max;
  const refusals = new Refusals(caps, logger);
  server.on('drop', (data?: { remoteAddress?: string }) => refusals.note('total', data?.remoteAddress));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const from = clientOf(socket.remoteAddress ?? '');
    const n = (open.get(from) ?? 0) + 1;
    if (n > caps.perAddress) {
      refusals.note('perAddress', from);
      socket.destroy();
      return;
    }
    open.set(from, n);
    socket.once('close', () => {
      const left = (open.get(from) ?? 1) - 1;
      if (left <= 0) open.delete(from);
      else open.set(from, left);
    });
  });
  return { close: () => refusals.stop() };
}
