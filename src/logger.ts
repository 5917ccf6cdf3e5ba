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

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options = { level: opts.level ?? process.env.CALLOUT_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
