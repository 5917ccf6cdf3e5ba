// Two stores on one database (SQLite file or fresh PostgreSQL schema), as two nodes open it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logger.ts';
import type { Store } from '../../src/store/types.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from './pg.ts';

export interface Backend {
  name: string;
  /** Two stores on one database, as two nodes open it, migrated; and a disposer. */
  open(): Promise<{ a: Store; b: Store; dispose(): Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: 'SqliteStore',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'callout-bulk-'));
      const file = join(dir, 'callout.db');
      const a = new SqliteStore({ file, synchronous: 'normal' });
      await a.migrate();
      const b = new SqliteStore({ file, synchronous: 'normal' });
      return {
        a,
        b,
        async dispose() {
          await a.close();
          await b.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgresStore',
    async open() {
      await withAdmin(async () => undefined); // a clear failure when PostgreSQL is not there
      const schema = freshSchema('bulksched');
      const logger = createLogger({ level: 'silent' });
      const a = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger });
      await a.migrate();
      const b = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger });
      return {
        a,
        b,
        async dispose() {
          await a.close();
          await b.close();
          await dropSchema(schema);
        },
      };
    },
  },
];
