// A Callout node on a fresh store (a SQLite data folder, or a PostgreSQL schema of its own), for engine
// tests that need their own options (maxInFlight, a clock); `close` stops it and removes the store.

import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from './pg.ts';

export interface CalloutNode {
  c: Callout;
  close: () => Promise<void>;
}

const quiet = createLogger({ level: 'silent' });
const COMMON = { allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet };

export async function openSqliteNode(opts: Partial<CalloutOptions> = {}): Promise<CalloutNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-node-'));
  const c = await Callout.open({ dataDir, ...COMMON, ...opts });
  return {
    c,
    close: async () => {
      await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openPostgresNode(opts: Partial<CalloutOptions> = {}): Promise<CalloutNode> {
  const schema = freshSchema('node');
  const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
  const c = await Callout.open({ store, secretKey: randomBytes(32).toString('hex'), ...COMMON, ...opts });
  return {
    c,
    close: async () => {
      await c.close();
      await dropSchema(schema);
    },
  };
}

/** Both stores, for tests that must hold on each. */
export const NODE_BACKENDS = [
  { name: 'SQLite', open: openSqliteNode },
  { name: 'PostgreSQL', open: openPostgresNode },
] as const;
