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
  /** Open connections from one address (behind a proxy: the proxy's). */
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

export function capConnections(server: Server, caps: ConnectionCaps, logger: Logger): { close(): void } {
  server.maxConnections = caps.max;
  const refusals = new Refusals(caps, logger);
  server.on('drop', (data?: { remoteAddress?: string }) => refusals.note('total', data?.remoteAddress));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const from = socket.remoteAddress ?? '';
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
