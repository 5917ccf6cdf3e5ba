// One transaction on one pooled connection (better-sqlite3 has db.transaction(); pg needs this), and
// the per-connector lock taken inside one.

import { DatabaseError, type Pool, type PoolClient } from 'pg';
import { OutcomeUnknownError, StoreStoppedError, isOutcomeUnknown, unreachable } from '../failures.ts';

interface Checkout {
  client: PoolClient;
  /** The first error the connection itself reported while we held it. */
  broken: Error | undefined;
  stopWatching(): void;
}

// The pool watches for errors only on idle clients: without a listener of ours, a connection dropping
// while checked out (a restart) would be an uncaught exception. The listener goes on inside the
// callback, not after an await: a new connection's first bytes may already carry the server's error.
function checkout(pool: Pool): Promise<Checkout> {
  return new Promise((resolve, reject) => {
    pool.connect((err, client) => {
      if (err || !client) return reject(unreachable(err ?? new Error('the pool gave no connection')));
      const onError = (e: Error): void => {
        c.broken ??= e;
      };
      const c: Checkout = { client, broken: undefined, stopWatching: () => client.removeListener('error', onError) };
      client.on('error', onError);
      resolve(c);
    });
  });
}

export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const c = await checkout(pool);
  try {
    await c.client.query('BEGIN');
    const out = await fn(c.client);
    await c.client.query('COMMIT').catch((e: unknown) => {
      throw unknownUnlessRefused(e);
    });
    return out;
  } catch (err) {
    // A failed ROLLBACK means the connection itself is gone: drop it from the pool, report the first error.
    if (!c.broken)
      await c.client.query('ROLLBACK').catch((e: unknown) => {
        c.broken = e instanceof Error ? e : new Error(String(e));
      });
    // Lost before COMMIT was sent: the server rolled it back, so a repeat is safe.
    throw connectionLost(err) ? unreachable(err) : err;
  } finally {
    c.stopWatching();
    c.client.release(c.broken);
  }
}

/**
 * pg's own words for a connection that went away under a statement (the socket closed or was reset
 * while it waited for the answer, or the client was already broken); none carries an SQLSTATE.
 */
export function connectionLost(e: unknown): boolean {
  if (e instanceof DatabaseError || !(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || /^Connection terminated|is not queryable$/.test(e.message);
}

/**
 * A statement run on its own through `pool.query` commits by itself, so a connection lost under it
 * leaves a write's outcome unknown; a lone SELECT wrote nothing and may be repeated. The pool's
 * query is wrapped once, here, so every store function that uses it is told apart alike.
 */
const NEVER_SENT = /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout)/;

export function classifyLostStatements(pool: Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  const wrapped = (...args: unknown[]): unknown => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | null)?.text;
    const read = typeof text === 'string' && /^\s*SELECT\b/i.test(text);
    // Only the promise form is used by the store; a callback (none today) is passed through untouched.
    if (typeof args[args.length - 1] === 'function') return query(...args);
    return query(...args).catch((e: unknown) => {
      // No connection to be had (a full pool, a connect timeout): the statement was never sent.
      if (e instanceof Error && NEVER_SENT.test(e.message)) throw unreachable(e);
      if (!connectionLost(e)) throw e;
      throw read ? unreachable(e) : unknownUnlessRefused(e);
    });
  };
  pool.query = wrapped as Pool['query'];
}

type ConnectCallback = (err: Error | undefined, client?: PoolClient, release?: (err?: Error) => void) => void;

/**
 * pg's pool neither serves nor fails the calls queued for a connection when it ends: each waited for
 * its connection timeout (10 s), so closing a busy store left its callers hanging. Wrapped once, here:
 * at end() they fail at once with StoreStoppedError, as a call made after it is refused. A connection
 * handed to one of them later anyway goes straight back.
 */
export function failWaitersAtEnd(pool: Pool): void {
  const connect = pool.connect.bind(pool) as (cb: ConnectCallback) => void;
  const end = pool.end.bind(pool);
  const waiting = new Set<ConnectCallback>();
  const queue = (cb: ConnectCallback): void => {
    let answered = false;
    const once: ConnectCallback = (err, client, release) => {
      waiting.delete(once);
      if (answered) return void release?.();
      answered = true;
      cb(err, client, release);
    };
    waiting.add(once);
    connect(once);
  };
  pool.connect = ((cb?: ConnectCallback) => {
    if (cb) return void queue(cb);
    return new Promise<PoolClient>((resolve, reject) =>
      queue((err, client) => (client ? resolve(client) : reject(err ?? new Error('the pool gave no connection')))),
    );
  }) as Pool['connect'];
  pool.end = (() => {
    const ended = end();
    for (const cb of [...waiting]) cb(new StoreStoppedError('the store is closed'));
    return ended;
  }) as Pool['end'];
}

/**
 * Serialises read-modify-write of one connector's counters or status within the transaction; keyed
 * by schema too, so installations sharing a database do not wait on each other.
 */
export async function lockConnector(client: PoolClient, what: string, connectorId: string): Promise<void> {
  await client.query({
    name: 'callout_lock_connector',
    text: `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1 || ':' || $2, 0))`,
    values: [what, connectorId],
  });
}

/**
 * An error from a statement that commits (a COMMIT, or one run on its own): the server's refusal
 * (an SQLSTATE, outside the connection classes) undid it, but a connection lost after it was sent
 * leaves the outcome unknown: the server may have committed and its answer been lost.
 */
export function unknownUnlessRefused(e: unknown): unknown {
  if (isOutcomeUnknown(e)) return e;
  const code = e instanceof DatabaseError ? e.code : undefined;
  if (code !== undefined && !code.startsWith('08') && !/^57P0[123]$/.test(code)) return e;
  return new OutcomeUnknownError(
    `the connection to PostgreSQL was lost while a commit was under way (${(e as Error).message}); it may or may not have been applied`,
    { cause: e },
  );
}
