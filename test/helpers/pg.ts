// The real PostgreSQL for tests: its URL, a check that fails loudly when it is not there, and one
// fresh schema per test file run, dropped afterwards.

import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.CALLOUT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses: tests in parallel files and repeated runs never meet. */
export function freshSchema(prefix = 'test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Runs `fn` on a connection of its own, outside any store. Throws a clear error if PostgreSQL is not reachable. */
export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>, url = TEST_DATABASE_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'callout_test_admin' });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${redact(url)} (${(err as Error).message}). These tests need a real server: ` +
        'start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set CALLOUT_TEST_DATABASE_URL.',
      { cause: err },
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string, url = TEST_DATABASE_URL): Promise<void> {
  await withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`), url);
}

/** Kills the server side of every connection with this application_name, as a restart or failover would. */
export async function terminateConnections(applicationName: string, url = TEST_DATABASE_URL): Promise<number> {
  return withAdmin(async (c) => {
    const r = await c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [applicationName],
    );
    return r.rowCount ?? 0;
  }, url);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
