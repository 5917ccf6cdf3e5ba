// Chooses the store from the settings: PostgreSQL when DATABASE_URL is set, else the embedded file.

import { join } from 'node:path';
import type { Settings } from '../settings.ts';
import type { Store } from '../store/types.ts';
import { SqliteStore } from '../store/sqlite/store.ts';
import { openThreadedSqliteStore } from '../store/sqlite/thread.ts';
import type { Logger } from '../logger.ts';

/** `backgroundCheckpoints` for a node that runs the engine (see store/sqlite/checkpointer.ts); one-off commands need no thread for it. */
export async function openStore(s: Settings, logger?: Logger, opts: { backgroundCheckpoints?: boolean } = {}): Promise<Store> {
  if (s.databaseUrl) {
    const { PostgresStore } = await import('../store/postgres/store.ts');
    return new PostgresStore({ connectionString: s.databaseUrl, notificationsPerUser: s.notificationsPerUser });
  }
  const o = {
    file: join(s.dataDir, 'callout.db'),
    backgroundCheckpoints: opts.backgroundCheckpoints ?? false,
    notificationsPerUser: s.notificationsPerUser,
    ...(logger ? { logger } : {}),
  };
  return s.sqliteThread ? openThreadedSqliteStore(o) : new SqliteStore(o);
}

/**
 * Whether the database DATABASE_URL names holds a Callout store (its migrations table, on the search
 * path the store uses), read without creating anything.
 */
export async function postgresHasStore(databaseUrl: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'callout' });
  await client.connect();
  try {
    const r = await client.query<{ found: boolean }>("SELECT to_regclass('callout_migrations') IS NOT NULL AS found");
    return r.rows[0]?.found === true;
  } finally {
    await client.end();
  }
}
