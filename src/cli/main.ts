#!/usr/bin/env node
// The `callout` command: serve, demo, migrate.

import { Command } from 'commander';
import { readSettings, type SettingFlags } from '../settings.ts';
import { ValidationError } from '../errors.ts';
import { serve } from './serve.ts';
import { demo } from './demo.ts';
import { openStore } from './open-store.ts';

const program = new Command();
program.name('callout').description('External API actions for case and workflow processes');

const withSettings = (c: Command): Command =>
  c
    .option('--port <port>', 'HTTP port (PORT, default 3000)')
    .option('--host <host>', 'address to listen on (HOST, default 0.0.0.0)')
    .option('--data-dir <dir>', 'embedded store folder (CALLOUT_DATA_DIR, default ./callout-data)')
    .option('--database-url <url>', 'PostgreSQL instead of the embedded store (DATABASE_URL)')
    .option('--public-url <url>', 'base of $callbackUrl (CALLOUT_PUBLIC_URL)');

withSettings(program.command('serve').description('run the API and the engine'))
  .option('--allow-private-networks', 'let connectors reach loopback and private addresses (CALLOUT_ALLOW_PRIVATE_NETWORKS=1)')
  .action(async (flags: SettingFlags) => serve(readSettings(flags)));

withSettings(program.command('demo').description('run Callout with a built-in mock external system and example actions'))
  .option('--no-launch', 'seed the example configuration without launching actions')
  .action(async (flags: SettingFlags & { launch: boolean }) => demo(readSettings({ ...flags, allowPrivateNetworks: true }), { launch: flags.launch }));

withSettings(program.command('migrate').description('create or update the store schema, then exit')).action(async (flags: SettingFlags) => {
  const store = await openStore(readSettings(flags));
  await store.migrate();
  await store.close();
  console.log(`migrated the ${store.kind} store`);
});

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ValidationError) {
    console.error(`callout: invalid settings:\n${(err.errors ?? []).map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
