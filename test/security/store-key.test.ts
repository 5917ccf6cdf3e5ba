// A store remembers the secret key it was written with (a fingerprint, not the key): a node opened
// with another key, or a store restored without its secret.key, is refused at start with one line
// that names what to set, and no new key file is written beside a store that had one.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../../src/callout.ts';
import { openStoreKey } from '../../src/crypto/store-key.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const logger = createLogger({ level: 'silent' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callout-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const openDir = (secretKey?: string) => Callout.open({ dataDir: dir, logger, ...(secretKey ? { secretKey } : {}) });

describe('the embedded store', () => {
  it('opens again with its own key file, and refuses another one, naming the file, changing nothing', async () => {
    await (await openDir()).close();
    const own = readFileSync(join(dir, 'secret.key'), 'utf8');
    await (await openDir()).close();
    writeFileSync(join(dir, 'secret.key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    await expect(openDir()).rejects.toThrow(`${join(dir, 'secret.key')} is not the key this store was written with`);
    writeFileSync(join(dir, 'secret.key'), own, { mode: 0o600 });
    await (await openDir()).close();
  });

  it('restored without its secret.key: refused, and no new key is written beside it', async () => {
    await (await openDir()).close();
    rmSync(join(dir, 'secret.key'));
    await expect(openDir()).rejects.toThrow('this store was written with a secret key, and');
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
  });

  it('CALLOUT_SECRET_KEY other than the key it was written with is refused, naming the setting', async () => {
    await (await openDir()).close();
    await expect(openDir(randomBytes(32).toString('hex'))).rejects.toThrow('CALLOUT_SECRET_KEY is not the key this store was written with');
    const own = readFileSync(join(dir, 'secret.key'), 'utf8').trim();
    await (await openDir(own)).close();
  });

  it('`callout serve` says so in one line, with no stack trace', async () => {
    await (await openDir()).close();
    const env = { ...process.env, CALLOUT_DATA_DIR: dir, PORT: '0', CALLOUT_LOG_LEVEL: 'warn' };
    rmSync(join(dir, 'secret.key'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^callout: this store was written with a secret key, and .*secret\.key is missing/),
    ]);
  });
});

describe('PostgreSQL', () => {
  it("a node with another CALLOUT_SECRET_KEY is refused; the store's own key opens it", async () => {
    const schema = freshSchema('storekey');
    const open = (secretKey: string) =>
      Callout.open({ store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger }), secretKey, logger });
    try {
      const key = randomBytes(32).toString('hex');
      await (await open(key)).close();
      await expect(open(randomBytes(32).toString('hex'))).rejects.toThrow('CALLOUT_SECRET_KEY is not the key this store was written with');
      await (await open(key)).close();
    } finally {
      await dropSchema(schema);
    }
  });
});

describe('a new store whose key file cannot be written', () => {
  it('records no key: once the file can be written, the store starts (a fingerprint of a key that existed nowhere locked it)', async () => {
    const settings = new Map<string, string>();
    const store = {
      ensureSetting: async (name: string, value: string): Promise<string> => {
        if (!settings.has(name)) settings.set(name, value);
        return settings.get(name)!;
      },
    };
    const keyFile = join(dir, 'not-yet', 'secret.key');
    await expect(openStoreKey(store, { keyFile })).rejects.toThrow(/ENOENT/);
    expect(settings.size).toBe(0);
    mkdirSync(join(dir, 'not-yet'));
    const box = await openStoreKey(store, { keyFile });
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    // The same key on the next start; nothing but the key file is left beside it.
    expect((await openStoreKey(store, { keyFile })).mac('x')).toBe(box.mac('x'));
    expect(readdirSync(join(dir, 'not-yet'))).toEqual(['secret.key']);
  });

  it('restored without its key file: the key file made for it is taken away again', async () => {
    const store = { ensureSetting: async (): Promise<string> => 'the fingerprint of another key' };
    const keyFile = join(dir, 'secret.key');
    await expect(openStoreKey(store, { keyFile })).rejects.toThrow('this store was written with a secret key, and');
    expect(readdirSync(dir)).toEqual([]);
  });
});
