// Issue 9, files at rest: the data folder, the SQLite file (and its -wal/-shm) and secret.key are
// owner-only, existing loose ones are tightened with a log line; a damaged store is refused at start
// with one line and a non-zero exit; /health asks the store. Also: DATABASE_URL without
// CALLOUT_SECRET_KEY says what to set in one line.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { Callout } from '../../src/callout.ts';
import { createLogger } from '../../src/logger.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { freePort, startHarness } from '../helpers/harness.ts';
import { startChildServer, testNodeEnv } from '../helpers/child-server.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

let root: string;
let oldUmask: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'callout-files-'));
  // The usual umask: without the fix, files come out 0644 and folders 0755.
  oldUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(oldUmask);
  rmSync(root, { recursive: true, force: true });
});

/** A logger whose lines are kept, to see what it said. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), text: () => out };
}

async function createStore(dataDir: string): Promise<void> {
  const c = await Callout.open({ dataDir, logger: createLogger({ level: 'silent' }) });
  await c.connectors.create({ name: 'vendor', baseUrl: 'https://api.example.com', auth: { type: 'bearer', token: 'tok-0123456789' } });
  await c.close();
}

/** What `callout serve` printed before it exited with 1 (startChildServer throws with it). */
function exitOutput(err: unknown): string {
  expect(err).toBeInstanceOf(Error);
  const m = /^callout serve exited with (\d+): ([^]*)$/.exec((err as Error).message);
  expect(m?.[1]).toBe('1');
  return m![2]!;
}

/** The output is exactly one line from the command, without a stack trace. */
function oneLine(err: unknown): string {
  const lines = exitOutput(err).trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^callout: /);
  return lines[0]!;
}

describe('permissions', () => {
  it('a new data folder is 0700; callout.db, its -wal and -shm and secret.key are 0600', async () => {
    const dataDir = join(root, 'data');
    const c = await Callout.open({ dataDir, logger: createLogger({ level: 'silent' }) });
    try {
      await c.connectors.create({ name: 'vendor', baseUrl: 'https://api.example.com', auth: { type: 'bearer', token: 'tok-0123456789' } });
      expect(mode(dataDir)).toBe('700');
      for (const f of ['callout.db', 'callout.db-wal', 'callout.db-shm', 'secret.key']) {
        expect(existsSync(join(dataDir, f)), f).toBe(true);
        expect(mode(join(dataDir, f)), f).toBe('600');
      }
    } finally {
      await c.close();
    }
  });

  it('existing world-readable files and folder are tightened at start, and the log says so', async () => {
    const dataDir = join(root, 'data');
    await createStore(dataDir);
    chmodSync(dataDir, 0o755);
    for (const f of ['callout.db', 'secret.key']) chmodSync(join(dataDir, f), 0o644);
    const { logger, text } = capturingLogger();
    const c = await Callout.open({ dataDir, logger });
    await c.close();
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'callout.db'))).toBe('600');
    expect(mode(join(dataDir, 'secret.key'))).toBe('600');
    for (const f of [dataDir, join(dataDir, 'callout.db'), join(dataDir, 'secret.key')])
      expect(text()).toContain(`${f} was readable by others (mode 0${f === dataDir ? '755' : '644'})`);
  });

  it('`callout serve` tightens them too and logs it', async () => {
    const dataDir = join(root, 'data');
    await createStore(dataDir);
    chmodSync(join(dataDir, 'callout.db'), 0o644);
    const node = await startChildServer(testNodeEnv('admin-key-0123456789abcdef', { CALLOUT_DATA_DIR: dataDir }), await freePort());
    try {
      expect(mode(join(dataDir, 'callout.db'))).toBe('600');
      expect(node.output()).toContain('was readable by others');
    } finally {
      await node.kill('SIGTERM');
    }
  });
});

describe('a damaged store', () => {
  /** A store with enough rows that overwriting pages in its middle hits table and index pages. */
  async function damagedStore(): Promise<string> {
    const dataDir = join(root, 'data');
    await createStore(dataDir);
    const file = join(dataDir, 'callout.db');
    const db = new Database(file);
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, k TEXT, v TEXT); CREATE INDEX filler_k ON filler (k)');
    const ins = db.prepare('INSERT INTO filler (k, v) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) ins.run(randomBytes(8).toString('hex'), 'x'.repeat(300));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const fd = openSync(file, 'r+');
    const pageSize = 4096;
    const pages = Math.floor(statSync(file).size / pageSize);
    for (let p = Math.floor(pages / 2); p < Math.floor(pages / 2) + 8; p++) writeSync(fd, randomBytes(pageSize), 0, pageSize, p * pageSize);
    closeSync(fd);
    return dataDir;
  }

  it('`callout serve` refuses it with one clear line and exit code 1', async () => {
    const dataDir = await damagedStore();
    const err = await startChildServer(testNodeEnv('admin-key-0123456789abcdef', { CALLOUT_DATA_DIR: dataDir }), await freePort()).catch(
      (e: unknown) => e,
    );
    const line = oneLine(err);
    expect(line).toContain(`the store ${join(dataDir, 'callout.db')} is damaged`);
    expect(line).toContain('restore it from a backup');
  });

  it('a file that is not a database at all is refused the same way', async () => {
    const dataDir = join(root, 'data');
    await createStore(dataDir);
    writeFileSync(join(dataDir, 'callout.db'), randomBytes(64 * 1024));
    rmSync(join(dataDir, 'callout.db-wal'), { force: true });
    const err = await startChildServer(testNodeEnv('admin-key-0123456789abcdef', { CALLOUT_DATA_DIR: dataDir }), await freePort()).catch(
      (e: unknown) => e,
    );
    expect(oneLine(err)).toContain('is damaged');
  });
});

describe('/health asks the store', () => {
  it('SQLite: ok while the store answers, 503 when it cannot', async () => {
    const h = await startHarness({ start: false });
    try {
      const ok = await request(`${h.url}/health`);
      expect(ok.statusCode).toBe(200);
      expect(await ok.body.json()).toEqual({ ok: true, store: 'sqlite' });
      // A file that stops answering (its handle now on bytes that are no database), not a store closed
      // by close(): that one is 'stopped'.
      const store = h.callout.store as unknown as { db: Database.Database };
      const garbage = join(root, 'not-a-database');
      writeFileSync(garbage, randomBytes(64 * 1024));
      store.db.close();
      store.db = new Database(garbage);
      const down = await request(`${h.url}/health`);
      expect(down.statusCode).toBe(503);
      expect(await down.body.json()).toEqual({ ok: false, store: 'sqlite', reason: 'failing' });
    } finally {
      await h.close();
    }
  });

  it('PostgreSQL: ok while the store answers, 503 when its schema is gone', async () => {
    const schema = freshSchema('sec_health');
    const store = new PostgresStore({
      connectionString: TEST_DATABASE_URL,
      schema,
      poolSize: 2,
      logger: createLogger({ level: 'silent' }),
    });
    const h = await startHarness({ start: false, callout: { store, secretKey: randomBytes(32).toString('hex') } });
    try {
      expect((await request(`${h.url}/health`)).statusCode).toBe(200);
      await dropSchema(schema);
      const down = await request(`${h.url}/health`);
      expect(down.statusCode).toBe(503);
      expect(await down.body.json()).toEqual({ ok: false, store: 'postgres', reason: 'failing' });
    } finally {
      await h.close();
      await dropSchema(schema);
    }
  });
});

it('DATABASE_URL without CALLOUT_SECRET_KEY stops `callout serve` with one line saying what to set', async () => {
  const err = await startChildServer(
    testNodeEnv('admin-key-0123456789abcdef', { DATABASE_URL: TEST_DATABASE_URL, CALLOUT_SECRET_KEY: '' }),
    await freePort(),
  ).catch((e: unknown) => e);
  expect(oneLine(err)).toMatch(/^callout: CALLOUT_SECRET_KEY is required with PostgreSQL \(DATABASE_URL\): set it/);
});
