// Settings from flags or the environment (SPEC section 10), validated in one place.

import { isIP } from 'node:net';
import { ValidationError, type FieldProblem } from './errors.ts';
import { DURATION_HINT, parseDuration } from './lifecycle/duration.ts';
import { NOTIFICATIONS_PER_USER_DEFAULT } from './store/notification-bound.ts';

export interface Settings {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  adminKey: string | undefined;
  secretKey: string | undefined;
  publicUrl: string;
  allowPrivateNetworks: boolean;
  /** Engine tuning: added to the longest connector timeout to make a lease (CALLOUT_LEASE_MARGIN). */
  leaseMarginMs: number | undefined;
  /** Engine tuning: how often to look for due work nobody announced (CALLOUT_POLL_INTERVAL). */
  pollIntervalMs: number | undefined;
  /** How long a node may miss its heartbeat before its work is taken over (CALLOUT_TAKEOVER_AFTER). @default 10 s */
  takeoverAfterMs: number | undefined;
  /** Requests a minute per API key and node (CALLOUT_API_RATE_LIMIT). @default 6000 */
  apiRateLimit: number;
  /** How long after its action closes a callback token still answers (CALLOUT_CALLBACK_TOKEN_TTL). */
  callbackTokenTtlMs: number | undefined;
  /** Whether this node runs the case worker (CALLOUT_CASE_WORKER=0 for a node that moves no cases on). @default true */
  caseWorker: boolean;
  /** The embedded store's SQLite work on a thread of its own (CALLOUT_SQLITE_THREAD=1) or on the event loop (the default). */
  sqliteThread: boolean;
  /** Whether this node delivers webhooks (CALLOUT_WEBHOOK_DELIVERY=off for a node that only writes the outbox; others deliver). @default true */
  webhookDelivery: boolean;
  /** Open HTTP connections the node accepts at once; a newcomer then takes a quiet socket's place, or is closed as it arrives (CALLOUT_MAX_CONNECTIONS). @default 4096 */
  maxConnections: number;
  /** Open HTTP connections accepted from one address (CALLOUT_MAX_CONNECTIONS_PER_ADDRESS). @default 256 */
  maxConnectionsPerAddress: number;
  /** How long a connection may stay idle between requests (CALLOUT_KEEP_ALIVE_TIMEOUT). @default KEEP_ALIVE_TIMEOUT_DEFAULT_MS */
  keepAliveTimeoutMs: number;
  /**
   * The reverse proxies in front of the node whose X-Forwarded-For / -Proto are believed (CALLOUT_TRUST_PROXY):
   * addresses, CIDR ranges and `loopback`, `linklocal`, `uniquelocal`. @default none
   */
  trustProxy: string[] | undefined;
  /** The most notifications each user keeps; past it the oldest read ones go first (CALLOUT_NOTIFICATIONS_PER_USER). @default 1000 */
  notificationsPerUser: number;
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** CALLOUT_TRUST_PROXY's entries that are neither an address, a CIDR range nor a preset. */
function badProxyEntries(entries: string[]): string[] {
  return entries.filter((e) => {
    if (PROXY_PRESETS.has(e)) return false;
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr ?? '');
    if (family === 0 || extra !== undefined) return true;
    return bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128));
  });
}

/**
 * Without a cap, a client that opens sockets and sends nothing would use up the process's file
 * descriptors, and with them the engine's outbound connections and the store's files. Far above what
 * a load balancer or integrators' pooled clients hold open, far below a usual descriptor limit.
 */
export const MAX_CONNECTIONS_DEFAULT = 4096;
/**
 * A sixteenth of the total: a client needs sixteen addresses (sixteen /64s) to hold every place.
 * Behind a proxy, the proxy is that address: raise it to what the proxy holds open.
 */
export const MAX_CONNECTIONS_PER_ADDRESS_DEFAULT = 256;
/**
 * Short, so idle sockets free their places; behind a load balancer that reuses its connections, set
 * it above the balancer's own idle timeout (60 s on many), or a request may meet a socket just closed.
 */
export const KEEP_ALIVE_TIMEOUT_DEFAULT_MS = 5_000;

/** The settings read from the environment only, for `serve --help` (the flags list the rest). */
export const ENVIRONMENT_HELP = `
Also read from the environment:
  CALLOUT_ADMIN_KEY           the admin API key to accept; without it one is generated and printed once
  CALLOUT_SECRET_KEY          32 bytes (hex or base64) encrypting secrets at rest and signing callback
                              tokens; generated beside the embedded store, required with DATABASE_URL
  CALLOUT_LOG_LEVEL           pino log level (default info)
  CALLOUT_LEASE_MARGIN        added to the longest connector timeout to make a lease (1s to 1h, default 15s)
  CALLOUT_POLL_INTERVAL       how often an idle node looks for work nobody announced (10ms to 1h, default 1s)
  CALLOUT_CALLBACK_TOKEN_TTL  how long after its action closes a callback token answers (default 7d)
  CALLOUT_CASE_WORKER         0: this node moves no cases through their processes (default 1)
  CALLOUT_SQLITE_THREAD       1: the embedded store's SQLite work on a thread of its own (default 0)
  CALLOUT_WEBHOOK_DELIVERY    off: this node sends no webhooks; others deliver its events (default on)
  CALLOUT_MAX_CONNECTIONS     open HTTP connections accepted at once; then a quiet one is closed for a
                              newcomer, or the newcomer is (default 4096)
  CALLOUT_MAX_CONNECTIONS_PER_ADDRESS
                              open HTTP connections accepted from one address (default 256)
  CALLOUT_KEEP_ALIVE_TIMEOUT  how long a connection may stay idle between requests (default 5s; behind
                              a load balancer, more than its idle timeout)
  CALLOUT_TRUST_PROXY         the reverse proxies whose X-Forwarded-For/-Proto to believe: addresses,
                              CIDR ranges, loopback, linklocal, uniquelocal (default none)
  CALLOUT_NOTIFICATIONS_PER_USER
                              the most notifications each user keeps; past it the oldest read ones
                              are dropped first, unread ones only past that many unread (default 1000)`;

/**
 * Whether the embedded store runs on its own thread unless told (store/sqlite/thread.ts). It was, while
 * the event loop's timers waited behind SQLite's WAL checkpoints (B p99 at 80 %: 103 ms against 20).
 * With the checkpoints on a thread of their own (store/sqlite/checkpointer.ts) and claims of 256 rows,
 * the event loop drains faster on this 2-core machine (bench A: 5,847/s against 5,021/s on the thread
 * in one interleaved run, for 101 % of a core against 135 %: the thread's messages cost CPU the machine
 * does not have) with timers as close (B p99 at 80 %: 35–43 ms against 36–185 ms); see BENCHMARKS.md.
 */
export const SQLITE_THREAD_DEFAULT = false;

export interface SettingFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  publicUrl?: string;
  allowPrivateNetworks?: boolean;
  apiRateLimit?: string;
  takeoverAfter?: string;
}

/** pino's levels. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readSettings(flags: SettingFlags = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: FieldProblem[] = [];
  // Empty is unset, as for every other setting: Number('') is 0, and the node listened on a random port.
  // Digits only: Number() also takes " ", "0x50" (port 80) and "1e3".
  const portText = flags.port ?? (env.PORT || '3000');
  // Spaces around the digits are allowed (a value read from a file with its final newline).
  const port = /^\s*\d{1,5}\s*$/.test(portText) ? Number(portText) : NaN;
  const portOk = Number.isInteger(port) && port >= 0 && port <= 65535;
  if (!portOk)
    problems.push({
      field: flags.port !== undefined ? '--port' : 'PORT',
      message: `must be a port number (0–65535), not ${JSON.stringify(portText)}`,
    });
  // Keys are often read from a file (a Kubernetes secret, `$(cat key)`) with its final newline: a header
  // can never carry it, so the admin key so set was refused on every request, and the secret key refused.
  const secretKey = env.CALLOUT_SECRET_KEY?.trim() || undefined;
  if (secretKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(secretKey) && Buffer.from(secretKey, 'base64').length !== 32)
    problems.push({
      field: 'CALLOUT_SECRET_KEY',
      message: 'must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)',
    });
  const logLevel = env.CALLOUT_LOG_LEVEL;
  if (logLevel !== undefined && logLevel !== '' && !LOG_LEVELS.includes(logLevel))
    problems.push({ field: 'CALLOUT_LOG_LEVEL', message: `must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}` });
  const dbUrl = flags.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (dbUrl !== undefined && !/^postgres(ql)?:\/\//i.test(dbUrl))
    problems.push({
      field: flags.databaseUrl !== undefined ? '--database-url' : 'DATABASE_URL',
      message: 'must be a PostgreSQL URL, postgres://user@host:5432/database (leave it unset for the embedded store)',
    });
  const adminKey = env.CALLOUT_ADMIN_KEY?.trim() || undefined;
  if (adminKey !== undefined && adminKey.length < 16)
    problems.push({ field: 'CALLOUT_ADMIN_KEY', message: 'must be at least 16 characters' });
  const allowText = env.CALLOUT_ALLOW_PRIVATE_NETWORKS ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(allowText))
    problems.push({ field: 'CALLOUT_ALLOW_PRIVATE_NETWORKS', message: 'must be 1 or 0' });
  // Empty is unset, as for the other settings (a template's `CALLOUT_PUBLIC_URL=` line left blank).
  const publicUrl = flags.publicUrl ?? (env.CALLOUT_PUBLIC_URL || undefined) ?? `http://localhost:${portOk ? port : 3000}`;
  // http(s) only: "localhost:3000" parses as a URL of scheme "localhost:", and no system could call back to it.
  if (!URL.canParse(publicUrl) || !['http:', 'https:'].includes(new URL(publicUrl).protocol))
    problems.push({
      field: flags.publicUrl !== undefined ? '--public-url' : 'CALLOUT_PUBLIC_URL',
      message: 'must be an absolute http(s) URL such as https://callout.example.com',
    });
  const tuning = (name: string, flag?: string, flagName?: string): number | undefined => {
    const v = flag ?? env[name];
    if (v === undefined || v === '') return undefined;
    const ms = parseDuration(/^\d+$/.test(v) ? Number(v) : v);
    if (ms === undefined) problems.push({ field: flag !== undefined && flagName ? flagName : name, message: DURATION_HINT });
    return ms;
  };
  const leaseMarginMs = tuning('CALLOUT_LEASE_MARGIN');
  // Under a second, the lease ends with the connector's own timeout: a slow answer's write would race
  // the re-claim. Past an hour it only delays what the heartbeat does not take over (a paused node).
  if (leaseMarginMs !== undefined && (leaseMarginMs < 1000 || leaseMarginMs > 3_600_000))
    problems.push({ field: 'CALLOUT_LEASE_MARGIN', message: 'must be between 1s and 1h' });
  const pollIntervalMs = tuning('CALLOUT_POLL_INTERVAL');
  // 0 had an idle node query its store without pause; 30d overflowed the timer and did the same.
  if (pollIntervalMs !== undefined && (pollIntervalMs < 10 || pollIntervalMs > 3_600_000))
    problems.push({ field: 'CALLOUT_POLL_INTERVAL', message: 'must be between 10ms and 1h' });
  // At least a second: heartbeats come every fifth of it, and a shorter one would take a busy node for dead.
  const takeoverAfterMs = tuning('CALLOUT_TAKEOVER_AFTER', flags.takeoverAfter, '--takeover-after');
  if (takeoverAfterMs !== undefined && (takeoverAfterMs < 1000 || takeoverAfterMs > 3_600_000))
    problems.push({
      field: flags.takeoverAfter !== undefined ? '--takeover-after' : 'CALLOUT_TAKEOVER_AFTER',
      message: 'must be between 1s and 1h',
    });
  const rateText = flags.apiRateLimit ?? (env.CALLOUT_API_RATE_LIMIT || '6000');
  const apiRateLimit = Number(rateText);
  if (!/^\d+$/.test(rateText) || apiRateLimit < 1 || apiRateLimit > 100_000_000)
    problems.push({
      field: flags.apiRateLimit !== undefined ? '--api-rate-limit' : 'CALLOUT_API_RATE_LIMIT',
      message: `must be a whole number of requests a minute per API key, not ${JSON.stringify(rateText)}`,
    });
  const callbackTokenTtlMs = tuning('CALLOUT_CALLBACK_TOKEN_TTL');
  const caseWorkerText = env.CALLOUT_CASE_WORKER ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(caseWorkerText)) problems.push({ field: 'CALLOUT_CASE_WORKER', message: 'must be 1 or 0' });
  const threadText = env.CALLOUT_SQLITE_THREAD ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(threadText)) problems.push({ field: 'CALLOUT_SQLITE_THREAD', message: 'must be 1 or 0' });
  const deliveryText = (env.CALLOUT_WEBHOOK_DELIVERY ?? '').toLowerCase();
  if (!['', 'on', 'off', '1', '0', 'true', 'false'].includes(deliveryText))
    problems.push({ field: 'CALLOUT_WEBHOOK_DELIVERY', message: 'must be on or off' });
  /** A whole number setting within [min, max], its default when unset. */
  const wholeNumber = (name: string, fallback: number, min: number, what: string): number => {
    const text = env[name] || String(fallback);
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > 1_000_000)
      problems.push({ field: name, message: `must be a whole number of ${what} from ${min} to 1000000, not ${JSON.stringify(text)}` });
    return n;
  };
  const maxConnections = wholeNumber('CALLOUT_MAX_CONNECTIONS', MAX_CONNECTIONS_DEFAULT, 16, 'connections');
  const maxConnectionsPerAddress = wholeNumber(
    'CALLOUT_MAX_CONNECTIONS_PER_ADDRESS',
    MAX_CONNECTIONS_PER_ADDRESS_DEFAULT,
    1,
    'connections',
  );
  const notificationsPerUser = wholeNumber('CALLOUT_NOTIFICATIONS_PER_USER', NOTIFICATIONS_PER_USER_DEFAULT, 1, 'notifications');
  const keepAliveTimeoutMs = tuning('CALLOUT_KEEP_ALIVE_TIMEOUT') ?? KEEP_ALIVE_TIMEOUT_DEFAULT_MS;
  if (keepAliveTimeoutMs < 1000 || keepAliveTimeoutMs > 3_600_000)
    problems.push({ field: 'CALLOUT_KEEP_ALIVE_TIMEOUT', message: 'must be between 1s and 1h' });
  const proxyText = (env.CALLOUT_TRUST_PROXY ?? '').trim();
  // Addresses only: a hop count would believe whoever connects directly (a node is usually reachable
  // past its proxy), letting any client choose the address its limits count.
  const trustProxy = proxyText === '' ? undefined : proxyText.split(',').map((x) => x.trim());
  const badProxies = trustProxy ? badProxyEntries(trustProxy) : [];
  if (badProxies.length > 0)
    problems.push({
      field: 'CALLOUT_TRUST_PROXY',
      message: `must be the proxies' addresses, CIDR ranges, loopback, linklocal or uniquelocal, separated by commas; not ${badProxies.map((b) => JSON.stringify(b)).join(', ')}`,
    });
  if (flags.dataDir === '')
    problems.push({ field: '--data-dir', message: 'must name a folder (it was empty, which would be this folder)' });
  if (problems.length) throw new ValidationError(problems);
  return {
    port,
    // Empty is unset, as for the other settings: an empty data folder made the current folder the
    // store's (and restricted it to its owner), an empty HOST listened on localhost only.
    host: flags.host ?? (env.HOST || '0.0.0.0'),
    dataDir: flags.dataDir ?? (env.CALLOUT_DATA_DIR || './callout-data'),
    databaseUrl: flags.databaseUrl ?? (env.DATABASE_URL || undefined),
    adminKey,
    secretKey,
    publicUrl: publicUrl.replace(/\/$/, ''),
    allowPrivateNetworks: flags.allowPrivateNetworks ?? (allowText === '1' || allowText === 'true'),
    leaseMarginMs,
    pollIntervalMs,
    takeoverAfterMs,
    apiRateLimit,
    callbackTokenTtlMs,
    caseWorker: caseWorkerText !== '0' && caseWorkerText !== 'false',
    sqliteThread: threadText === '' ? SQLITE_THREAD_DEFAULT : threadText === '1' || threadText === 'true',
    webhookDelivery: !['off', '0', 'false'].includes(deliveryText),
    maxConnections,
    maxConnectionsPerAddress,
    keepAliveTimeoutMs,
    trustProxy,
    notificationsPerUser,
  };
}
