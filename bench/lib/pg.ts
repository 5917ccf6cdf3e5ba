// The benchmark's PostgreSQL database: created once beside the test database, one schema per run,
// dropped when the run ends so runs never meet.

import pg from 'pg';

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const PG_BENCH_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bench';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'callout_bench_admin', connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function ensureBenchDatabase(): Promise<void> {
  const name = new URL(PG_BENCH_URL).pathname.slice(1);
  await withClient(PG_ADMIN_URL, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
}

export async function dropSchema(schema: string): Promise<void> {
  await withClient(PG_BENCH_URL, (c) => c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`));
}

export async function pgQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  return withClient(PG_BENCH_URL, async (c) => (await c.query<R>(sql, params)).rows);
}

export async function pgVersion(): Promise<string> {
  const [r] = await pgQuery<{ server_version: string }>('SHOW server_version');
  return r?.server_version ?? 'unknown';
}

/** Total size of a schema's tables and indexes, in MB. */
export async function schemaSizeMb(schema: string): Promise<number> {
  const [r] = await pgQuery<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(r?.bytes ?? 0) / 1048576;
}
