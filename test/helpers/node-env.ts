// The environment of `callout serve` child processes sharing one store: a fresh SQLite folder, or a
// fresh PostgreSQL database with the secret key every node must share; and a disposer.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TEST_DATABASE_URL, withAdmin } from './pg.ts';

export interface NodeEnv {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function sqliteNodeEnv(prefix: string): Promise<NodeEnv> {
  const dir = mkdtempSync(join(tmpdir(), `callout-${prefix}-`));
  return { env: { CALLOUT_DATA_DIR: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function postgresNodeEnv(prefix: string): Promise<NodeEnv> {
  const db = `callout_${prefix.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${db}`;
  return {
    env: { DATABASE_URL: url.toString(), CALLOUT_SECRET_KEY: randomBytes(32).toString('hex') },
    dispose: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}
