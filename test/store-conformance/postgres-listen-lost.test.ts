// The LISTEN connection (store/postgres/listen.ts) drops, and its reconnect meets something that takes
// the connection and closes it before PostgreSQL answers (a proxy, a pooler or a container's published
// port in front of a database that is down): pg then reports only the end of that connection, with no
// error, and the listener read the error's code anyway. The TypeError, thrown in pg's 'end' event,
// ended the process. Run in a child process: what is under test is whether the process survives.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { TEST_DATABASE_URL, withAdmin } from '../helpers/pg.ts';

const listen = new URL('../../src/store/postgres/listen.ts', import.meta.url).pathname;
const logger = new URL('../../src/logger.ts', import.meta.url).pathname;

const script = (url: string, app: string): string => `
  import { createServer } from 'node:net';
  import { WorkListener } from ${JSON.stringify(listen)};
  import { createLogger } from ${JSON.stringify(logger)};
  // Takes connections and closes them at once.
  const closer = createServer((s) => s.destroy());
  await new Promise((r) => closer.listen(0, '127.0.0.1', r));
  const config = { connectionString: ${JSON.stringify(url)}, application_name: ${JSON.stringify(app)} };
  const l = new WorkListener(config, () => undefined, createLogger());
  await l.start();
  const u = new URL(config.connectionString);
  u.host = '127.0.0.1:' + closer.address().port;
  config.connectionString = u.toString();
  process.stdout.write('listening\\n');
  // Reconnects (100 ms, then 200, 400, ...) each meet the closing port.
  process.stdin.once('data', () => setTimeout(async () => {
    process.stdout.write('still running\\n');
    await l.stop();
    closer.close();
    process.exit(0);
  }, 1500));`;

it('a reconnect whose connection is closed before PostgreSQL answers is retried, and the process goes on', async () => {
  const app = `callout_listen_lost_${randomBytes(4).toString('hex')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(TEST_DATABASE_URL, app)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await expect.poll(() => out, { timeout: 20_000 }).toContain('listening');
  // The database restarts (or fails over): the listener's connection is cut.
  const killed = await withAdmin(async (c) => {
    const r = await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
    return r.rowCount;
  });
  expect(killed).toBe(1);
  child.stdin!.write('go\n');
  const code = await exited;
  expect(out).toContain('the LISTEN connection to PostgreSQL dropped; reconnecting');
  expect(out).toContain('still running');
  expect(code, out).toBe(0);
});
