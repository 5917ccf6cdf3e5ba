// Callout as a consumer gets it: `npm pack`, unpacked into a fresh project's node_modules the way npm lays
// it out, then imported, run as `npx callout`, and running the README's embedding example. The
// dependencies are the repository's installed ones, linked in flat as npm hoists them: no network and
// no second build of better-sqlite3, so this works offline and in CI after `npm ci`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildServer, createCallout, ValidationError } from '../src/index.ts';
import { postgresNodeEnv, sqliteNodeEnv } from './helpers/node-env.ts';
import { CalloutClosedError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const exec = promisify(execFile);
const run = (cmd: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> =>
  exec(cmd, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });

let tmp: string;
let app: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'callout-pkg-'));
  const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', tmp], repo)).stdout) as Array<{ filename: string }>;
  const tarball = join(tmp, packed[0]!.filename);
  app = join(tmp, 'app');
  const modules = join(app, 'node_modules');
  await mkdir(join(modules, 'callout'), { recursive: true });
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'embedder', private: true, type: 'module' }));
  await run('tar', ['-xzf', tarball, '-C', join(modules, 'callout'), '--strip-components=1'], tmp);
  for (const entry of await readdir(join(repo, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'callout') continue;
    await symlink(join(repo, 'node_modules', entry), join(modules, entry));
  }
  // What npm's bin-links does for the package's `bin`.
  const { bin } = JSON.parse(await readFile(join(modules, 'callout', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  await mkdir(join(modules, '.bin'));
  for (const [name, target] of Object.entries(bin)) {
    await chmod(join(modules, 'callout', target), 0o755);
    await symlink(join('..', 'callout', target), join(modules, '.bin', name));
  }
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the installed package', () => {
  it("import('callout') resolves into node_modules and exposes createCallout and everything src/index.ts exports", async () => {
    const dataDir = join(tmp, 'import-data');
    const script = `
      const m = await import('callout');
      const c = await m.createCallout({ dataDir: ${JSON.stringify(dataDir)} });
      const connectors = await c.connectors.list();
      await c.close();
      console.log(JSON.stringify({ from: import.meta.resolve('callout'), keys: Object.keys(m), kind: c.store.kind, connectors }));`;
    const out = JSON.parse((await run(process.execPath, ['--input-type=module', '-e', script], app)).stdout) as Record<string, unknown>;
    expect(out.from).toBe(`file://${join(app, 'node_modules', 'callout', 'index.js')}`);
    expect((out.keys as string[]).sort()).toEqual(Object.keys(await import('../src/index.ts')).sort());
    expect(out).toMatchObject({ kind: 'sqlite', connectors: [] });
  });

  it('npx callout --help lists the commands, and a command runs', async () => {
    // --no: never fetch a package called "callout" from the registry if the local bin were missing.
    const help = (await run('npx', ['--no', '--', 'callout', '--help'], app)).stdout;
    for (const command of ['serve', 'demo', 'migrate', 'export', 'import', 'bulk-launch'])
      expect(help).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const migrated = await run('npx', ['--no', '--', 'callout', 'migrate', '--data-dir', join(tmp, 'cli-data')], app);
    expect(migrated.stdout).toContain('migrated the sqlite store');
  });

  it("README's embedding example is examples/embed.ts verbatim, and it runs against the installed package", async () => {
    const example = await readFile(join(repo, 'examples', 'embed.ts'), 'utf8');
    expect(await readFile(join(repo, 'README.md'), 'utf8')).toContain('```ts\n' + example + '```\n');
    await cp(join(repo, 'examples', 'embed.ts'), join(app, 'embed.ts'));
    const out = await run(process.execPath, ['--import', 'tsx', 'embed.ts'], app);
    expect(out.stdout.trim()).toBe('closed done_successfully INC-7');
  });

  it("a TypeScript program type-checks the example with the tsconfig README's embedding section names", async () => {
    // tsc reads Callout's sources under the program's options: with plain `strict` (no
    // noUncheckedIndexedAccess) and the lib of target ES2022, the example failed in Callout's own files.
    await cp(join(repo, 'examples', 'embed.ts'), join(app, 'embed.ts'));
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          allowImportingTsExtensions: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['embed.ts'],
      }),
    );
    const readme = (await readFile(join(repo, 'README.md'), 'utf8')).replace(/\s+/g, ' ');
    expect(readme).toContain(
      "its tsconfig needs `allowImportingTsExtensions`, since Callout's sources import `.ts` paths, `strict` and `lib` ES2023 or later",
    );
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', '.'], app).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(checked.stdout).toBe('');
  }, 120_000);
});

describe('createCallout', () => {
  it('refuses to start again once closed (its workers ran against the closed store, logging every second)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callout-closed-'));
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(line) } });
    const c = await createCallout({ dataDir, logger });
    c.start();
    await c.close();
    expect(() => c.start()).toThrow(CalloutClosedError);
    await new Promise((r) => setTimeout(r, 1500));
    expect(warnings).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an option refused once the store is open closes it again, so the program ends after the error', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callout-refused-'));
    const script = `
      import { createCallout, createLogger } from ${JSON.stringify(join(repo, 'src', 'index.ts'))};
      await createCallout({ dataDir: ${JSON.stringify(dataDir)}, logger: createLogger({ level: 'silent' }), engine: { claimLeadMs: 5000 } })
        .catch((e) => console.log(e.message));`;
    // Before the fix the store's checkpoint thread held the process open: killed at the timeout.
    const out = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], repo);
    expect(out.stdout).toContain('claimLeadMs');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses engine numbers that would hang it, naming each, before anything is opened', async () => {
    // A poll interval of 0 starved the event loop once started; maxInFlight 0 left close() waiting for ever.
    const dataDir = join(await mkdtemp(join(tmpdir(), 'callout-engine-options-')), 'store');
    await expect(
      createCallout({ dataDir, engine: { pollIntervalMs: 0, maxInFlight: 0, batchSize: 2.5, takeoverAfterMs: -1, claimLeadMs: 5000 } }),
    ).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [
        { field: 'engine.batchSize', message: 'must be a whole number, at least 1' },
        { field: 'engine.maxInFlight', message: 'must be a whole number, at least 1' },
        { field: 'engine.pollIntervalMs', message: 'must be a number of milliseconds above 0' },
        { field: 'engine.takeoverAfterMs', message: 'must be a number of milliseconds above 0' },
        { field: 'engine.claimLeadMs', message: 'must be between 0 and 1000 ms' },
      ],
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses an empty dataDir as a ValidationError naming it, and leaves the current folder alone', async () => {
    const before = statSync(process.cwd()).mode;
    await expect(createCallout({ dataDir: '' })).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [{ field: 'dataDir', message: expect.stringContaining('must name a folder') }],
    });
    expect([statSync(process.cwd()).mode, existsSync(join(process.cwd(), 'callout.db'))]).toEqual([before, false]);
  });

  it('refuses a secret key that is not 32 bytes as a ValidationError naming it, before the store is made', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'callout-secret-key-')), 'store');
    await expect(createCallout({ dataDir, secretKey: 'not-a-key' })).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [{ field: 'secretKey', message: expect.stringContaining('must be 32 bytes') }],
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    ['sqlite', sqliteNodeEnv],
    ['postgres', postgresNodeEnv],
  ])('a server built on it still answering after close() says the store has stopped (%s), not an internal error', async (_, nodeEnv) => {
    const { env, dispose } = await nodeEnv('closed-api');
    const c = await createCallout({
      ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, secretKey: env.CALLOUT_SECRET_KEY } : { dataDir: env.CALLOUT_DATA_DIR }),
      logger: createLogger({ level: 'silent' }),
    });
    const key = (await c.apiKeys.ensureAdminKey(undefined))!;
    const app = await buildServer(c);
    await c.close();
    try {
      const health = await app.inject({ url: '/health' });
      expect([health.statusCode, health.json()]).toEqual([503, { ok: false, store: c.store.kind, reason: 'stopped' }]);
      const read = await app.inject({ url: '/v1/connectors', headers: { authorization: `Bearer ${key}` } });
      expect([read.statusCode, read.json().code]).toEqual([503, 'STORE_UNAVAILABLE']);
    } finally {
      await app.close();
      await dispose();
    }
  });

  it('names the field when PostgreSQL is asked for without a secret key, or twice', async () => {
    const databaseUrl = 'postgres://postgres@127.0.0.1:5432/test';
    await expect(createCallout({ databaseUrl })).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [{ field: 'secretKey' }],
    });
    await expect(createCallout({ databaseUrl: 'mysql://db.example.com/callout', secretKey: '0'.repeat(64) })).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [{ field: 'databaseUrl', message: 'must be a PostgreSQL URL, postgres://user@host:5432/database' }],
    });
    const store = { kind: 'postgres' } as never;
    await expect(createCallout({ databaseUrl, store, secretKey: 'x'.repeat(64) })).rejects.toMatchObject({
      constructor: ValidationError,
      errors: [{ field: 'databaseUrl' }],
    });
  });
});
