// Logging: pino, with every known secret-bearing key redacted at the boundary.

import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

export const REDACT_PATHS = [
  'password',
  'token',
  'clientSecret',
  'refreshToken',
  'inboundSecret',
  '*.password',
  '*.token',
  '*.clientSecret',
  '*.refreshToken',
  '*.inboundSecret',
  'req.headers.authorization',
  'headers.authorization',
];

/** A callback token is a credential in the URL path: logs show the route, not the token. */
export function redactCallbackUrl(url: string): string {
  return url.replace(/(\/callbacks\/)[^/?#]+/g, '$1[callback token]');
}

/** Fastify's request line (its own serializer would log the URL as it came). */
function reqSerializer(req: { method?: string; url?: string; ip?: string; host?: string }): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactCallbackUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
  };
}

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    // Empty is unset, as the settings read it: pino refused "" with a stack trace.
    level: opts.level ?? (process.env.CALLOUT_LOG_LEVEL || 'info'),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: reqSerializer },
    formatters: {
      log: (o: Record<string, unknown>): Record<string, unknown> =>
        typeof o.url === 'string' ? { ...o, url: redactCallbackUrl(o.url) } : o,
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
