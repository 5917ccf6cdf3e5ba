// The `callout` command: migrate, export and import on an embedded store, and settings errors that
// name the setting.

import { afterAll, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../src/callout.ts';
import { createLogger } from '../src/logger.ts';
import { readSettings, type SettingFlags } from '../src/settings.ts';
import { ValidationError } from '../src/errors.ts';
import { importReport } from './helpers/import-report.ts';
import { freePort } from './helpers/harness.ts';
import { childApi, startChildServer } from './helpers/child-server.ts';
import { postgresNodeEnv } from './helpers/node-env.ts';
import { withAdmin } from './helpers/pg.ts';
import { cli } from './helpers/cli.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'callout-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** cli() without blocking this process: several at once, and a server under test here goes on answering. */
function cliAsync(args: string[], env: Record<string, string>): Promise<ReturnType<typeof cli>> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

it("serve --help names every setting of the README's table, by flag or in its list of environment variables", () => {
  const r = cli(['serve', '--help'], {});
  expect(r.status).toBe(0);
  const table = readFileSync('README.md', 'utf8')
    .match(/^\| `[A-Z_]+` /gm)!
    .map((row) => row.slice(3, -2));
  expect(table.length).toBeGreaterThan(10);
  expect(table.filter((name) => !r.stdout.includes(name))).toEqual([]);
});

it('the store commands offer only the store settings; import says what a loopback connector needs', () => {
  for (const command of ['migrate', 'export', 'import']) {
    const help = cli([command, '--help'], {}).stdout;
    expect(help, command).toContain('--data-dir');
    expect(help, command).toContain('--database-url');
    expect(help, command).not.toMatch(/--port|--host|--public-url/);
  }
  expect(cli(['import', '--help'], {}).stdout).toContain('CALLOUT_ALLOW_PRIVATE_NETWORKS=1');
});

it("each command's --data-dir names the folder it uses when none is given: the demo's own, the others ./callout-data", () => {
  const oneLine = (command: string): string => cli([command, '--help'], {}).stdout.replace(/\s+/g, ' ');
  expect(oneLine('demo')).toContain('--data-dir <dir> embedded store folder (CALLOUT_DATA_DIR, default ./callout-demo)');
  for (const command of ['serve', 'migrate'])
    expect(oneLine(command), command).toContain('--data-dir <dir> embedded store folder (CALLOUT_DATA_DIR, default ./callout-data)');
});

it('migrate creates the embedded store, names what it applied, and refuses a store a newer version migrated', async () => {
  const dir = tempDir();
  const r = cli(['migrate'], { CALLOUT_DATA_DIR: dir });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^migrated the sqlite store: 001_init\.sql, .*\.sql\n$/);
  expect(cli(['migrate'], { CALLOUT_DATA_DIR: dir }).stdout).toBe('the sqlite store is up to date\n');
  // A migration this version does not know: a newer Callout ran here. Refused in one line, by every command.
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(join(dir, 'callout.db'));
  db.prepare("INSERT INTO callout_migrations (version, name, applied_at) VALUES (999, '999_future.sql', 0)").run();
  db.close();
  for (const command of ['migrate', 'serve']) {
    const newer = cli([command], { CALLOUT_DATA_DIR: dir, PORT: '0' });
    expect(newer.status, newer.stderr).toBe(1);
    expect(newer.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^callout: this store was migrated by a newer version of Callout \(its migration 999 is unknown here; this version knows up to \d+\): run that version or a newer one$/,
      ),
    ]);
  }
});

it('export writes YAML without secrets, and import creates the same configuration elsewhere, then changes nothing', async () => {
  const from = tempDir();
  const c = await Callout.open({ dataDir: from, logger: createLogger({ level: 'silent' }) });
  await c.connectors.create({
    name: 'crm',
    baseUrl: 'https://crm.example.com/api',
    auth: { type: 'basic', username: 'svc', password: 'pw-never-exported' },
  });
  await c.actionTypes.create({
    name: 'note',
    connector: 'crm',
    path: '/notes',
    body: { format: 'json', template: '{"text": "{{ Text }}"}' },
  });
  await c.close();
  // A folder with no store in it (mistyped) is said so, and is not made a new, empty store exported as a backup.
  const typo = join(tempDir(), 'calout-data');
  const none = cli(['export'], { CALLOUT_DATA_DIR: typo });
  expect([none.status, none.stdout, none.stderr.trim()]).toEqual([
    1,
    '',
    `callout: there is no store in ${typo} (no callout.db): give the store's folder with --data-dir or CALLOUT_DATA_DIR, or DATABASE_URL for PostgreSQL; nothing was created`,
  ]);
  expect(existsSync(typo)).toBe(false);
  const out = cli(['export'], { CALLOUT_DATA_DIR: from });
  expect(out.status).toBe(0);
  expect(out.stdout).toContain('name: crm');
  expect(out.stdout).toContain('$env: CALLOUT_CRM_PASSWORD');
  expect(out.stdout).not.toContain('pw-never-exported');
  const file = join(tempDir(), 'callout.yaml');
  writeFileSync(file, out.stdout);

  const to = tempDir();
  const missing = cli(['import', file], { CALLOUT_DATA_DIR: to });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('connectors[0].auth.password');
  const first = cli(['import', file], { CALLOUT_DATA_DIR: to, CALLOUT_CRM_PASSWORD: 'pw-from-env' });
  expect(first.status).toBe(0);
  expect(JSON.parse(first.stdout)).toEqual(
    importReport({
      connectors: { created: ['crm'], updated: [], unchanged: [] },
      actionTypes: { created: ['note'], updated: [], unchanged: [] },
    }),
  );
  const again = cli(['import', file], { CALLOUT_DATA_DIR: to, CALLOUT_CRM_PASSWORD: 'pw-from-env' });
  expect(JSON.parse(again.stdout).connectors.unchanged).toEqual(['crm']);
});

it('export to a full disk fails in one line, exit 1, with no stack trace', () => {
  const dir = tempDir();
  expect(cli(['migrate'], { CALLOUT_DATA_DIR: dir }).status).toBe(0);
  // /dev/full: every write fails with ENOSPC, as a backup's file on a full disk would.
  const full = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export'], {
      env: { ...process.env, CALLOUT_DATA_DIR: dir },
      stdio: ['ignore', full, 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect([r.status, r.stderr.trim()]).toEqual([
      1,
      'callout: the export could not be written to standard output: ENOSPC: no space left on device, write',
    ]);
  } finally {
    closeSync(full);
  }
});

it('export from an empty PostgreSQL database says there is no store there, and creates none', async () => {
  const db = await postgresNodeEnv('cli-export-empty');
  try {
    const tables = (): Promise<number> =>
      withAdmin(
        async (c) => Number((await c.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].n),
        db.env.DATABASE_URL,
      );
    const none = await cliAsync(['export'], db.env);
    expect([none.status, none.stdout, none.stderr.trim()]).toEqual([
      1,
      '',
      "callout: there is no Callout store in the database DATABASE_URL names (no callout_migrations table): give the store's database, or run `callout migrate` first to make an empty one; nothing was created",
    ]);
    expect(await tables()).toBe(0);
    expect((await cliAsync(['migrate'], db.env)).status).toBe(0);
    const empty = await cliAsync(['export', '--format', 'json'], db.env);
    expect([empty.status, JSON.parse(empty.stdout).connectors]).toEqual([0, []]);
  } finally {
    await db.dispose();
  }
}, 60_000);

it('a bad setting stops the server with the setting named', async () => {
  const [r, flag, level, mysql] = await Promise.all([
    cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), PORT: 'eighty' }),
    cliAsync(['serve', '--port', 'eighty'], { CALLOUT_DATA_DIR: tempDir() }),
    cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), CALLOUT_LOG_LEVEL: 'verbose' }),
    cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), DATABASE_URL: 'mysql://x', CALLOUT_SECRET_KEY: '0'.repeat(64) }),
  ]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('PORT: must be a port number');
  // Only the setting at fault: the public URL made from the port is not blamed too.
  expect(r.stderr).not.toContain('CALLOUT_PUBLIC_URL');
  expect(flag.stderr).toContain('--port: must be a port number');
  expect([level.status, level.stderr.trim().split('\n').at(-1)]).toEqual([
    2,
    '  CALLOUT_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"',
  ]);
  expect([mysql.status, mysql.stderr]).toEqual([2, expect.stringContaining('DATABASE_URL: must be a PostgreSQL URL')]);
});

it('PORT empty is the default, and a port given in anything but digits is refused, not read as another port', async () => {
  // Number() read "" and " " as 0 (a random port) and "0x50" as port 80.
  expect(readSettings({}, { PORT: '' }).port).toBe(3000);
  expect(readSettings({}, { PORT: '3001\n' }).port).toBe(3001);
  // An empty CALLOUT_PUBLIC_URL is unset too (it was refused as not an http(s) URL).
  expect(readSettings({}, { PORT: '3001', CALLOUT_PUBLIC_URL: '' }).publicUrl).toBe('http://localhost:3001');
  const [blank, hex, high] = await Promise.all([
    cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), PORT: ' ' }),
    cliAsync(['serve', '--port', '0x50'], { CALLOUT_DATA_DIR: tempDir() }),
    cliAsync(['serve', '--port', '99999'], { CALLOUT_DATA_DIR: tempDir() }),
  ]);
  expect([blank.status, blank.stderr.trim().split('\n').at(-1)]).toEqual([2, '  PORT: must be a port number (0–65535), not " "']);
  expect([hex.status, hex.stderr.trim().split('\n').at(-1)]).toEqual([2, '  --port: must be a port number (0–65535), not "0x50"']);
  // Only the port is blamed, not the public URL made from it.
  expect([high.status, high.stderr.trim().split('\n')]).toEqual([
    2,
    ['callout: invalid input:', '  --port: must be a port number (0–65535), not "99999"'],
  ]);
});

it('an empty CALLOUT_DATA_DIR is the default folder, not the current one made the store and closed to others; an empty --data-dir is refused', async () => {
  expect(readSettings({}, { HOST: '' }).host).toBe('0.0.0.0');
  const cwd = tempDir();
  chmodSync(cwd, 0o755);
  const bin = join(process.cwd(), 'bin', 'callout.js');
  const r = spawnSync(process.execPath, [bin, 'migrate'], {
    cwd,
    env: { ...process.env, CALLOUT_DATA_DIR: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(statSync(cwd).mode & 0o777).toBe(0o755);
  expect(readdirSync(cwd)).toEqual(['callout-data']);
  expect(existsSync(join(cwd, 'callout-data', 'callout.db'))).toBe(true);
  const flag = spawnSync(process.execPath, [bin, 'migrate', '--data-dir', ''], { cwd, encoding: 'utf8', timeout: 60_000 });
  expect([flag.status, flag.stderr.trim().split('\n').at(-1)]).toEqual([
    2,
    '  --data-dir: must name a folder (it was empty, which would be this folder)',
  ]);
  expect(readdirSync(cwd)).toEqual(['callout-data']);
});

it('a mistake in a flag is named by the flag given, not by the environment variable it stands for', () => {
  const named = (flags: SettingFlags): string[] => {
    try {
      readSettings(flags, {});
    } catch (e) {
      return ((e as ValidationError).errors ?? []).map((p) => p.field);
    }
    return [];
  };
  expect(named({ publicUrl: 'callout.example.com' })).toEqual(['--public-url']);
  expect(named({ takeoverAfter: 'soon' })).toEqual(['--takeover-after']);
  expect(named({ takeoverAfter: '1ms' })).toEqual(['--takeover-after']);
  expect(named({ apiRateLimit: '0' })).toEqual(['--api-rate-limit']);
  const r = cli(['serve', '--api-rate-limit', 'lots', '--takeover-after', '2h'], { CALLOUT_DATA_DIR: tempDir() });
  expect([r.status, r.stderr.trim().split('\n')]).toEqual([
    2,
    [
      'callout: invalid input:',
      '  --takeover-after: must be between 1s and 1h',
      '  --api-rate-limit: must be a whole number of requests a minute per API key, not "lots"',
    ],
  ]);
});

it('a public URL without http(s), such as localhost:3000, is refused: no system could call back to it', async () => {
  const r = await cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), PORT: '0', CALLOUT_PUBLIC_URL: 'localhost:3000' });
  expect([r.status, r.stderr.trim().split('\n')]).toEqual([
    2,
    ['callout: invalid input:', '  CALLOUT_PUBLIC_URL: must be an absolute http(s) URL such as https://callout.example.com'],
  ]);
  expect(() => readSettings({ publicUrl: 'ftp://callout.example.com' }, {})).toThrow(ValidationError);
  expect(readSettings({}, { CALLOUT_PUBLIC_URL: 'https://callout.example.com/' }).publicUrl).toBe('https://callout.example.com');
});

it('an empty CALLOUT_LOG_LEVEL is the default level, not a stack trace from the logger', async () => {
  // A port in use ends the start after the logger is made, in one line.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  const r = await cliAsync(['serve'], {
    CALLOUT_DATA_DIR: tempDir(),
    CALLOUT_LOG_LEVEL: '',
    PORT: String(port),
    HOST: '127.0.0.1',
  }).finally(() => holder.close());
  expect([r.status, r.stderr.trim()]).toEqual([
    1,
    `callout: port ${port} is already in use on 127.0.0.1: stop what holds it, or set PORT (--port) to another`,
  ]);
});

it('a mistake at start is one line naming what to mend, with no stack trace, and prints no admin key it then loses', async () => {
  const oneLine = (r: { status: number | null; stderr: string; stdout: string }): string => {
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    return lines[0]!;
  };
  // A port in use: and the admin key is not printed, so the next start (on a free port) prints it.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  const key = '0'.repeat(64);
  const pg = (url: string) => cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), DATABASE_URL: url, CALLOUT_SECRET_KEY: key, PORT: '0' });
  const closed = await freePort();
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'x');
  const folder = tempDir();
  // Each its own process, all at once.
  const [busy, noDatabase, nothingThere, notFolder, noFile, aFolder] = await Promise.all([
    cliAsync(['serve'], { CALLOUT_DATA_DIR: tempDir(), PORT: String(port), HOST: '127.0.0.1' }),
    pg('postgres://postgres@127.0.0.1:5432/callout_no_such_database'),
    pg(`postgres://postgres@127.0.0.1:${closed}/test`),
    cliAsync(['serve'], { CALLOUT_DATA_DIR: file, PORT: '0' }),
    cliAsync(['import', join(tempDir(), 'none.yaml')], { CALLOUT_DATA_DIR: tempDir() }),
    cliAsync(['import', folder], { CALLOUT_DATA_DIR: tempDir() }),
  ]).finally(() => holder.close());
  expect(oneLine(busy)).toMatch(
    /^callout: port \d+ is already in use on 127\.0\.0\.1: stop what holds it, or set PORT \(--port\) to another$/,
  );
  expect(busy.stdout).not.toContain('Admin API key');
  expect(oneLine(noDatabase)).toBe(
    'callout: database "callout_no_such_database" does not exist (DATABASE_URL): create it first, e.g. `createdb`',
  );
  expect(oneLine(nothingThere)).toBe(
    `callout: nothing accepts connections at 127.0.0.1:${closed}: is PostgreSQL running there? (DATABASE_URL)`,
  );
  expect(oneLine(notFolder)).toMatch(/is not a folder: CALLOUT_DATA_DIR \(--data-dir\) must name a folder$/);
  expect(oneLine(noFile)).toMatch(/none\.yaml does not exist$/);
  expect(oneLine(aFolder)).toBe(`callout: ${folder} is a folder: give the configuration file to import`);
}, 120_000);

it('`npm start` stopped with SIGTERM, as the README runs it in the background, stops the server too', async () => {
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', CALLOUT_DATA_DIR: tempDir(), CALLOUT_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const health = (): Promise<number> =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 0,
    );
  for (let i = 0; i < 600 && (await health()) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await health()).toBe(200);
  await new Promise<void>((resolve) => {
    npm.once('exit', () => resolve());
    npm.kill('SIGTERM');
  });
  // Before the fix npm and its shell exited and the server went on answering, with no parent.
  for (let i = 0; i < 100 && (await health()) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await health()).toBe(0);
}, 90_000);

it('`callout --version` prints the version; `callout bench` runs the benchmark harness, here a quick drain on the embedded store', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const bin = (args: string[]) => spawnSync(process.execPath, ['bin/callout.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(bin(['--version']).stdout.trim()).toBe(pkg.version);
  const out = join(tempDir(), 'bench.json');
  const r = bin(['bench', '--quick', '--workload', 'A', '--systems', 'callout-sqlite', '--runs', '1', '--out', out]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/callout-sqlite\s+[\d,]+/);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toBeTruthy();
}, 150_000);

it('`callout bench` with a flag it does not know prints the usage and exits 2, with no stack trace', () => {
  const r = spawnSync(process.execPath, ['bin/callout.js', 'bench', '--quick', '--bogus'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr.split('\n').slice(0, 2)).toEqual([
    expect.stringContaining("Unknown option '--bogus'"),
    'usage: npm run bench -- [options]',
  ]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it('keys read from a file with its final newline work: the admin key authenticates, the secret key is taken', async () => {
  const key = 'admin-key-from-a-file-0123456789';
  const node = await startChildServer(
    { CALLOUT_DATA_DIR: tempDir(), CALLOUT_ADMIN_KEY: `${key}\n`, CALLOUT_SECRET_KEY: `${'ab'.repeat(32)}\n` },
    await freePort(),
  );
  try {
    // Before, the key was kept with its newline, which no Authorization header can carry: 401 on every request.
    const res = await fetch(`${node.url}/v1/connectors`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  } finally {
    await node.kill();
  }
}, 60_000);

it('SIGTERM stops cleanly, saying it waits for the attempts in flight; a second one stops at once', async () => {
  const once = await startChildServer({ CALLOUT_DATA_DIR: tempDir(), CALLOUT_LOG_LEVEL: 'info' }, await freePort());
  const clean = new Promise<number | null>((resolve) => once.proc.once('exit', (code) => resolve(code)));
  once.proc.kill('SIGTERM');
  expect(await clean).toBe(0);
  expect(once.output()).toContain("SIGTERM: shutting down once the attempts in flight are answered (up to their connector's timeout)");

  // With an attempt in flight (a system that never answers), the first signal waits; the second does not.
  const hanging = createServer(() => undefined);
  const sockets = new Set<import('node:net').Socket>();
  hanging.on('connection', (c) => sockets.add(c));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const key = 'signal-admin-key-0123456789';
  const twice = await startChildServer(
    { CALLOUT_DATA_DIR: tempDir(), CALLOUT_LOG_LEVEL: 'info', CALLOUT_ADMIN_KEY: key, CALLOUT_ALLOW_PRIVATE_NETWORKS: '1' },
    await freePort(),
  );
  try {
    const api = childApi(twice.url, key);
    await api('POST', '/v1/connectors', {
      name: 'silent',
      baseUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
      timeout: '60s',
    });
    await api('POST', '/v1/action-types', { name: 'wait', connector: 'silent', method: 'POST', path: '/x' });
    await api('POST', '/v1/actions', { actionType: 'wait', input: {} });
    for (let i = 0; i < 500 && sockets.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const forced = new Promise<number | null>((resolve) => twice.proc.once('exit', (code) => resolve(code)));
    twice.proc.kill('SIGTERM');
    for (let i = 0; i < 500 && !twice.output().includes('shutting down once'); i++) await new Promise((r) => setTimeout(r, 10));
    twice.proc.kill('SIGINT');
    expect(await forced).toBe(1);
    expect(twice.output()).toContain('SIGINT again: stopping now');
  } finally {
    await twice.kill();
    for (const c of sockets) c.destroy();
    hanging.close();
  }
}, 90_000);
