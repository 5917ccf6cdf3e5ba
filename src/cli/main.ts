#!/usr/bin/env node
// The `callout` command: serve, demo, migrate, export/import, bulk-launch, bench.

import { Command } from 'commander';
import { ENVIRONMENT_HELP, readSettings, type SettingFlags } from '../settings.ts';
import { SetupError, ValidationError } from '../errors.ts';
import { startupProblem } from './startup-errors.ts';
import type { BulkCommandFlags } from './bulk.ts';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { isUtf8 } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { Callout } from '../callout.ts';
import type { Settings } from '../settings.ts';

// Each command imports what it runs when it runs: `--help`, `--version` and `bulk-launch` (an HTTP
// client) do not load the engine, the server and the store drivers, which cost a second or more.

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program.name('callout').description('External API actions for case and workflow processes').version(packageJson.version, '-V, --version');

/** The store's settings: every command that opens one (the demo keeps a folder of its own by default). */
const withStore = (c: Command, dataDir = './callout-data'): Command =>
  c
    .option('--data-dir <dir>', `embedded store folder (CALLOUT_DATA_DIR, default ${dataDir})`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded store (DATABASE_URL)');

/** And the server's: the commands that serve. */
const withSettings = (c: Command, dataDir?: string): Command =>
  withStore(
    c.option('--port <port>', 'HTTP port (PORT, default 3000)').option('--host <host>', 'address to listen on (HOST, default 0.0.0.0)'),
    dataDir,
  ).option('--public-url <url>', 'base of $callbackUrl (CALLOUT_PUBLIC_URL)');

withSettings(program.command('serve').description('run the API and the engine'))
  .option('--allow-private-networks', 'let connectors reach loopback and private addresses (CALLOUT_ALLOW_PRIVATE_NETWORKS=1)')
  .option('--api-rate-limit <n>', 'requests a minute per API key (CALLOUT_API_RATE_LIMIT, default 6000)')
  .option('--takeover-after <duration>', "how long before a dead node's work is taken over (CALLOUT_TAKEOVER_AFTER, default 10s)")
  .addHelpText('after', ENVIRONMENT_HELP)
  .action(async (flags: SettingFlags) => {
    // The settings first: a mistake in one is named before the server's modules are loaded.
    const settings = readSettings(flags);
    await (await import('./serve.ts')).serve(settings);
  });

const DEMO_DATA_DIR = './callout-demo';

withSettings(program.command('demo').description('run Callout with a built-in mock external system and example actions'), DEMO_DATA_DIR)
  .option('--no-launch', 'seed the example configuration without launching actions')
  .addHelpText('after', `\nThe demo's store is ${DEMO_DATA_DIR} unless --data-dir or CALLOUT_DATA_DIR names another.`)
  .action(async (flags: SettingFlags & { launch: boolean }) => {
    // A folder of its own by default: the demo's connectors, keys and users never land in the installation `serve` runs.
    const settings = readSettings({
      ...flags,
      dataDir: flags.dataDir ?? (process.env.CALLOUT_DATA_DIR || DEMO_DATA_DIR),
      allowPrivateNetworks: true,
    });
    await (await import('./demo.ts')).demo(settings, { launch: flags.launch });
  });

/** Callout without the engine or the API, for one-off commands. */
async function openCallout(s: Settings): Promise<Callout> {
  const [{ Callout }, { createLogger }, { openStore }] = await Promise.all([
    import('../callout.ts'),
    import('../logger.ts'),
    import('./open-store.ts'),
  ]);
  const logger = createLogger({ level: 'warn' });
  return Callout.open({
    store: await openStore(s, logger),
    dataDir: s.dataDir,
    ...(s.secretKey ? { secretKey: s.secretKey } : {}),
    publicUrl: s.publicUrl,
    allowPrivateNetworks: s.allowPrivateNetworks,
    logger,
  });
}

withStore(program.command('migrate').description('create or update the store schema, then exit')).action(async (flags: SettingFlags) => {
  const settings = readSettings(flags);
  const [{ createLogger }, { openStore }] = await Promise.all([import('../logger.ts'), import('./open-store.ts')]);
  const store = await openStore(settings, createLogger({ level: 'warn' }));
  const applied = await store.migrate().finally(() => store.close());
  console.log(applied.length === 0 ? `the ${store.kind} store is up to date` : `migrated the ${store.kind} store: ${applied.join(', ')}`);
});

withStore(
  program
    .command('export')
    .description(
      'write the configuration (connectors, action types, users, queues, processes, webhooks, schedules) as YAML or JSON; secrets become $env references',
    ),
)
  .option('--format <format>', 'yaml or json', 'yaml')
  .action(async (flags: SettingFlags & { format: string }) => {
    const settings = readSettings(flags);
    // A mistyped folder would be made a new, empty store, and its empty configuration printed as if
    // it were the backup asked for (exit 0).
    const file = join(settings.dataDir, 'callout.db');
    if (!settings.databaseUrl && !existsSync(file))
      throw new SetupError(
        `there is no store in ${resolve(settings.dataDir)} (no callout.db): give the store's folder with --data-dir or CALLOUT_DATA_DIR, or DATABASE_URL for PostgreSQL; nothing was created`,
      );
    // The same for a database: an empty one (a wrong name in DATABASE_URL) was given Callout's tables.
    if (settings.databaseUrl && !(await (await import('./open-store.ts')).postgresHasStore(settings.databaseUrl)))
      throw new SetupError(
        "there is no Callout store in the database DATABASE_URL names (no callout_migrations table): give the store's database, or run `callout migrate` first to make an empty one; nothing was created",
      );
    const { serialize } = await import('../config-files/service.ts');
    const callout = await openCallout(settings);
    try {
      if (flags.format !== 'yaml' && flags.format !== 'json')
        throw new ValidationError([{ field: '--format', message: 'must be yaml or json' }]);
      const text = serialize(await callout.configFiles.export(), flags.format);
      // A backup that cannot be written (a full disk) is said in one line; it was an unhandled stream error's stack trace.
      await new Promise<void>((resolve, reject) => {
        process.stdout.once('error', reject);
        process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
      }).catch((err: unknown) => {
        throw new SetupError(`the export could not be written to standard output: ${(err as Error).message}`);
      });
    } finally {
      await callout.close();
    }
  });

/** The file to import; a folder is said to be one (its EISDIR came with a stack trace and no path). */
function readConfigFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EISDIR') throw new SetupError(`${file} is a folder: give the configuration file to import`);
    throw e;
  }
}

withStore(program.command('import <file>').description('create or update the configuration from a YAML or JSON file, all of it or nothing'))
  .addHelpText(
    'after',
    '\nConnectors on loopback or private addresses need CALLOUT_ALLOW_PRIVATE_NETWORKS=1, as with serve; secrets come from the $env references the file names.',
  )
  .action(async (file: string, flags: SettingFlags) => {
    const settings = readSettings(flags);
    const { parseConfigText } = await import('../config-files/yaml-reader.ts');
    // Read and checked before the store opens: a Latin-1 "Müller" was imported as "M\uFFFDller".
    const bytes = readConfigFile(file);
    if (!isUtf8(bytes)) throw new ValidationError([{ field: 'file', message: (await import('../api/body-depth.ts')).NOT_UTF8 }]);
    const text = await parseConfigText(bytes.toString('utf8'));
    const callout = await openCallout(settings);
    try {
      const report = await callout.configFiles.import(text);
      console.log(JSON.stringify(report, null, 2));
    } finally {
      await callout.close();
    }
  });

program
  .command('bulk-launch <file>')
  .description('launch every row of a .csv or .json file through a running Callout, with a progress bar; exits 1 when rows are refused')
  .option('--action-type <name>', 'launch one action of this type per row')
  .option('--process <name>', 'create one case of this process per row')
  .option('--title-column <column>', "with --process: the column whose cell is each case's title (not kept in its data)")
  .option('--owner-column <column>', "with --process: the column whose cell names each case's owner (not kept in its data)")
  .option('--url <url>', 'the Callout API (CALLOUT_URL, default http://localhost:3000)')
  .option('--key <key>', 'an API key with the operator or integration role (CALLOUT_API_KEY is safer: flags show in `ps`)')
  .action(async (file: string, flags: BulkCommandFlags) => {
    process.exitCode = await (await import('./bulk.ts')).bulkLaunchCommand(file, flags);
  });

program
  .command('bench')
  .description('measure Callout beside job queues (npm run bench): `callout bench --help` lists the workloads and systems')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[options...]')
  .action((options: string[]) => {
    // The harness is a script of its own (each system in a child process); it runs with this package's tsx.
    const harness = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));
    if (!existsSync(harness)) throw new SetupError(`the benchmark harness is not in this installation (${harness})`);
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), harness, ...options], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ValidationError) {
    console.error(`callout: invalid input:\n${(err.errors ?? []).map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    process.exit(2);
  }
  // A setting to fix or a store to restore: the message says what to do; a stack trace would bury it.
  if (err instanceof SetupError) {
    console.error(`callout: ${err.message}`);
    process.exit(1);
  }
  const line = startupProblem(err);
  if (line !== undefined) {
    console.error(`callout: ${line}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
});
