// The one way Callout opens outbound connections (Sender pools, the OAuth token client, Test
// connection): undici's own connector wrapped with the private-network checks. An IP literal is
// checked before connecting (undici never calls `lookup` for one), a name when it resolves, and the
// connected socket's peer address before any byte is written, TLS ClientHello included.

import { buildConnector } from 'undici';
import type { Socket } from 'node:net';
import { ALLOW_HINT, DestinationRefusedError, guardedLookup, isLocalHostName, isPrivateAddress, normaliseHost } from './destination.ts';

export interface OutboundConnectOptions {
  /** Connect timeout in ms (each of the TCP and TLS steps). */
  timeout: number;
  allowPrivateNetworks: boolean;
  /**
   * Resolves names. @default guardedLookup. Tests pass an unguarded one to play a DNS answer that
   * changes between the check and the connect (rebinding): the socket check must still refuse it.
   */
  lookup?: typeof guardedLookup;
}

/** An undici `connect` option: pass it as `connect` to a Pool, Client or Agent. */
export function outboundConnector(opts: OutboundConnectOptions): buildConnector.connector {
  if (opts.allowPrivateNetworks) return buildConnector({ timeout: opts.timeout });
  // TCP first (plain connector, guarded DNS), then TLS on the checked socket (httpSocket).
  const tcp = buildConnector({ timeout: opts.timeout, lookup: (opts.lookup ?? guardedLookup) as never });
  const tls = buildConnector({ timeout: opts.timeout });
  return (options, callback) => {
    const host = normaliseHost(options.hostname);
    if (isLocalHostName(host)) {
      callback(new DestinationRefusedError(`${host} is a loopback or private address; ${ALLOW_HINT}`), null);
      return;
    }
    tcp({ ...options, protocol: 'http:', port: options.port || (options.protocol === 'https:' ? '443' : '80') }, (err, socket) => {
      if (err) return callback(err, null);
      const peer = (socket as Socket).remoteAddress;
      if (peer === undefined || isPrivateAddress(peer)) {
        socket!.destroy();
        return callback(
          new DestinationRefusedError(`${host} connected to ${peer ?? 'an unknown address'}, a private or loopback address; ${ALLOW_HINT}`),
          null,
        );
      }
      if (options.protocol !== 'https:') return callback(null, socket!);
      tls({ ...options, httpSocket: socket as Socket }, callback);
    });
  };
}
