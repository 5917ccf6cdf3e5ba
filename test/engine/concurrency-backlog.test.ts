// Actions held behind a connector's maxConcurrency wait for a slot without being claimed and written
// again and again: an attempt that ends on this node wakes the one held longest, and the rest are
// looked at again every few seconds (slots other nodes free). They were looked at every 50–100 ms: a
// backlog of 1,000 behind a slow system cost a core and a gigabyte of writes in 30 s. Real time, both stores.

import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';
import { fileMock } from '../helpers/file-mock.ts';

const quiet = createLogger({ level: 'silent' });
const mock = fileMock();
const common = { allowPrivateNetworks: true, publicUrl: 'http://127.0.0.1:9', logger: quiet };

const backends: Array<{ name: string; open: () => Promise<{ c: Callout; cleanup: () => Promise<void> }> }> = [
  {
    name: 'SQLite',
    open: async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'callout-slots-'));
      return { c: await Callout.open({ dataDir, ...common }), cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = freshSchema('slots');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4, logger: quiet });
      return { c: await Callout.open({ store, secretKey: randomBytes(32).toString('hex'), ...common }), cleanup: () => dropSchema(schema) };
    },
  },
];

for (const backend of backends)
  describe(`${backend.name}: a backlog behind maxConcurrency`, () => {
    it('is sent one at a time, each slot taken up as it frees, and each held action written a few times, not dozens', async () => {
      const { c, cleanup } = await backend.open();
      try {
        await c.connectors.create({ name: 'one-at-a-time', baseUrl: mock.url, maxConcurrency: 1 });
        await c.actionTypes.create({ name: 'slow', connector: 'one-at-a-time', path: '/slow?ms=250' });
        const ids = await c.actions.launchMany(Array.from({ length: 12 }, () => ({ actionType: 'slow' })));
        c.start();
        await expect
          .poll(async () => (await Promise.all(ids.map((id) => c.actions.getAction(id)))).filter((a) => a.state === 'closed').length, {
            timeout: 20_000,
            interval: 200,
          })
          .toBe(12);
        expect(ids.map(mock.sends)).toEqual(ids.map(() => 1));
        // Every version is a write of the action's row: launch, each claim and hold, the attempt.
        const versions = await Promise.all(ids.map(async (id) => (await c.store.getAction(id))!.version));
        expect(Math.max(...versions)).toBeLessThan(20);
      } finally {
        await c.close();
        await cleanup();
      }
    }, 40_000);
  });
