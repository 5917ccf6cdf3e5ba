// A Callout node on a fresh SQLite data folder, for engine tests that need their own options
// (maxInFlight, a clock); `close` stops it and removes the folder.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout, type CalloutOptions } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';

export async function openSqliteNode(opts: Partial<CalloutOptions> = {}): Promise<{ c: Callout; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-node-'));
  const c = await Callout.open({
    dataDir,
    allowPrivateNetworks: true,
    publicUrl: 'http://127.0.0.1:9',
    logger: createLogger({ level: 'silent' }),
    ...opts,
  });
  return {
    c,
    close: async () => {
      await c.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
