// `callout serve` / `npm start`: the API and the engine in one process until SIGTERM.

import type { Settings } from '../settings.ts';
import { Callout, type CalloutOptions } from '../callout.ts';
import { buildServer } from '../api/server.ts';
import { openStore } from './open-store.ts';
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../logger.ts';

export interface Running {
  callout: Callout;
  /** The admin key generated on this (first) start, if any. */
  generatedAdminKey: string | undefined;
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(
  s: Settings,
  opts: { quiet?: boolean; logLevel?: string; engine?: CalloutOptions['engine'] } = {},
): Promise<Running> {
  const logger = createLogger(opts.logLevel ? { level: opts.logLevel } : {});
  const store = await openStore(s, logger, { backgroundCheckpoints: true });
  const callout = await Callout.open({
    store,
    dataDir: s.dataDir,
    ...(s.secretKey ? { secretKey: s.secretKey } : {}),
    publicUrl: s.publicUrl,
    allowPrivateNetworks: s.allowPrivateNetworks,
    ...(s.callbackTokenTtlMs !== undefined ? { callbackTokenTtlMs: s.callbackTokenTtlMs } : {}),
    cases: { worker: s.caseWorker, ...(s.pollIntervalMs !== undefined ? { pollIntervalMs: s.pollIntervalMs } : {}) },
    webhooks: { delivery: s.webhookDelivery },
    engine: {
      ...(s.leaseMarginMs !== undefined ? { leaseMarginMs: s.leaseMarginMs } : {}),
      ...(s.pollIntervalMs !== undefined ? { pollIntervalMs: s.pollIntervalMs } : {}),
      ...(s.takeoverAfterMs !== undefined ? { takeoverAfterMs: s.takeoverAfterMs } : {}),
      ...opts.engine,
    },
    logger,
  });
  const app = await buildServer(callout, {
    limits: { perKey: s.apiRateLimit },
    maxConnections: s.maxConnections,
    maxConnectionsPerAddress: s.maxConnectionsPerAddress,
    keepAliveTimeoutMs: s.keepAliveTimeoutMs,
    ...(s.trustProxy !== undefined ? { trustProxy: s.trustProxy } : {}),
  });
  let address: string;
  try {
    address = await app.listen({ port: s.port, host: s.host });
  } catch (e) {
    await app.close().catch(() => undefined);
    await callout.close();
    throw e;
  }
  // After the port is ours: a key generated and printed by a start that then failed would be lost.
  const generated = await callout.apiKeys.ensureAdminKey(s.adminKey);
  if (generated && !opts.quiet) {
    // Printed once, on the first start; only its hash is kept.
    process.stdout.write(`\nAdmin API key (shown once, keep it): ${generated}\n\n`);
  }
  callout.start();
  const url = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  callout.logger.info(
    { url, store: store.kind, publicUrl: s.publicUrl, webhookDelivery: s.webhookDelivery ? 'on' : 'off' },
    'Callout is running',
  );
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // The engine is closed even when the HTTP server's close fails: its attempts in flight finish.
      try {
        await app.close();
      } finally {
        await callout.close();
      }
    })());
  return { callout, app, url, stop, generatedAdminKey: generated };
}

export async function serve(s: Settings): Promise<void> {
  const r = await startServer(s);
  // Not a handler: an error nobody handled (a rejection, a throw in a timer or an event) still ends the
  // process, as it should, for nothing says what state it left. Node tells only stderr; this tells the log first.
  process.on('uncaughtExceptionMonitor', (err, origin) =>
    r.callout.logger.fatal(
      { err, origin },
      'an error nobody handled ends the process; its work in flight is taken back by another node or at the next start',
    ),
  );
  process.on(
    'SIGTERM',
    stopOnSignal(r.callout.logger, () => r.stop()),
  );
  process.on(
    'SIGINT',
    stopOnSignal(r.callout.logger, () => r.stop()),
  );
}

let stopping = false;

/**
 * The first SIGTERM or SIGINT stops cleanly: attempts in flight finish (up to their connector's
 * timeout) and say so in the log; a second one stops at once, leaving those attempts to be taken back
 * and sent again (same Idempotency-Key).
 */
export function stopOnSignal(logger: Logger, stop: () => Promise<void>): (signal: NodeJS.Signals) => void {
  return (signal) => {
    if (stopping) {
      logger.warn(`${signal} again: stopping now; attempts still in flight are taken back and sent again at the next start`);
      process.exit(1);
    }
    stopping = true;
    logger.info(
      `${signal}: shutting down once the attempts in flight are answered (up to their connector's timeout); send it again to stop now`,
    );
    void stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `${signal}: shutting down failed; what was in flight is taken back at the next start`);
        process.exit(1);
      },
    );
  };
}
