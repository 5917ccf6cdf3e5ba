// How long the work manager's action list takes to answer and to render with 100,000 actions stored.
// Run: npx tsx bench/ui-list.ts [sqlite|postgres]   (the engine is not started: the store holds still)
// Prints medians and 95th percentiles of the API calls the list makes, then of the page in chromium.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Callout } from '../src/callout.ts';
import { buildServer } from '../src/api/server.ts';
import { createLogger } from '../src/logger.ts';
import { uuidv7 } from '../src/ids.ts';
import { launchAction } from '../src/lifecycle/launch.ts';
import type { ActionRecord } from '../src/lifecycle/action.ts';
import type { NewAction } from '../src/store/types.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { freePort } from '../test/helpers/harness.ts';
import { launchBrowser } from '../test/ui/browser.ts';

const N = 100_000;
const kind = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const quiet = createLogger({ level: 'silent' });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (xs: number[]): string => `median ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms`;

/** A mix like a busy day: mostly closed, some To Do, some waiting for a retry or a callback. */
function shape(a: ActionRecord, i: number): ActionRecord {
  const r = i % 100;
  if (r < 90)
    return {
      ...a,
      state: 'closed',
      phase: null,
      resolution: 'done_successfully',
      attempts: 1,
      dueAt: null,
      externalReference: `EXT-${i}`,
      closedAt: a.createdAt,
    };
  if (r < 93)
    return {
      ...a,
      state: 'closed',
      phase: null,
      resolution: 'not_done_successfully',
      attempts: 4,
      escalated: true,
      dueAt: null,
      lastError: 'HTTP 503',
      lastErrorAt: a.createdAt,
    };
  if (r < 96)
    return {
      ...a,
      state: 'todo',
      phase: null,
      reason: 'request_rejected',
      rejectedReason: 'HTTP 400: bad cost centre',
      attempts: 1,
      dueAt: null,
      queue: 'finance',
    };
  if (r < 98)
    return {
      ...a,
      phase: 'retry_scheduled',
      attempts: 2,
      lastError: 'HTTP 503',
      lastErrorAt: a.createdAt,
      nextRetryAt: Date.now() + 3_600_000,
      dueAt: Date.now() + 3_600_000,
    };
  return { ...a, phase: 'awaiting_callback', attempts: 1, dueAt: Date.now() + 3_600_000, timeoutAt: Date.now() + 3_600_000 };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-bench-ui-'));
  let schema: string | undefined;
  const store =
    kind === 'postgres'
      ? new PostgresStore({
          connectionString: process.env.CALLOUT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          schema: (schema = `bench_ui_${Date.now().toString(36)}`),
          logger: quiet,
        })
      : undefined;
  const callout = await Callout.open({
    dataDir,
    logger: quiet,
    allowPrivateNetworks: true,
    secretKey: '1'.repeat(64),
    sqliteSynchronous: 'normal',
    ...(store ? { store } : {}),
  });
  await callout.apiKeys.ensureAdminKey('bench-admin-key-0123456789');
  await callout.connectors.create({ name: 'crm', baseUrl: 'http://127.0.0.1:9' });
  const types = await Promise.all(
    ['create-ticket', 'sync-payroll', 'charge-cost-centre'].map((name) =>
      callout.actionTypes.create({ name, connector: 'crm', path: '/x', body: { format: 'json', template: '{"t": "{{ Title }}"}' } }),
    ),
  );
  const policy = (await callout.registry.actionType('create-ticket')).compiled.policy;

  const t0 = performance.now();
  const start = Date.now() - N * 1000;
  for (let b = 0; b < N; b += 5000) {
    const items: NewAction[] = [];
    for (let i = b; i < Math.min(N, b + 5000); i++) {
      const now = start + i * 1000;
      const t = types[i % 3]!;
      const l = launchAction({
        id: uuidv7(now),
        actionTypeId: t.id as string,
        actionTypeName: t.name as string,
        caseId: null,
        input: { Title: `ticket ${i}` },
        policy,
        now,
        actor: 'system',
      });
      items.push({ action: shape(l.action, i), timeline: l.timeline });
    }
    await callout.store.insertActions(items);
  }
  console.log(`${kind}: stored ${N.toLocaleString()} actions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const app = await buildServer(callout);
  await app.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const auth = { authorization: 'Bearer bench-admin-key-0123456789' };
  const mid = (await callout.store.listActions({ limit: 1, before: uuidv7(start + (N / 2) * 1000) }))[0]!.id;
  const calls: Array<[string, string]> = [
    ['first page, all', '/v1/actions?limit=50'],
    ['first page, To Do', '/v1/actions?state=todo&limit=50'],
    ['first page, retry scheduled', '/v1/actions?state=waiting&phase=retry_scheduled&limit=50'],
    ['first page, one action type', '/v1/actions?actionType=sync-payroll&limit=50'],
    ['a page half way down (keyset)', `/v1/actions?before=${mid}&limit=50`],
    ['search by external reference', '/v1/actions?externalReference=EXT-50001'],
    ['first page, one connector', '/v1/actions?connector=crm&limit=50'],
    ['search custom data (q, one match: a full scan)', '/v1/actions?q=ticket%2050001&limit=50'],
    ['search custom data (q, many matches: first page)', '/v1/actions?q=ticket&limit=50'],
    ['counts per state, all', '/v1/actions/counts'],
    ['counts per state, one action type', '/v1/actions/counts?actionType=sync-payroll'],
  ];
  for (const [name, path] of calls) {
    const xs: number[] = [];
    for (let i = 0; i < 25; i++) {
      const s = performance.now();
      const r = await request(`${url}${path}`, { headers: auth });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`${path}: ${r.statusCode}`);
      xs.push(performance.now() - s);
    }
    console.log(`${name.padEnd(36)} ${fmt(xs.slice(5))}`);
  }

  const b = await launchBrowser();
  try {
    const page = await b.context.newPage();
    await page.goto(`${url}/ui/work`);
    await page.getByLabel('API key').fill('bench-admin-key-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('table.actions tbody tr').nth(49).waitFor();
    for (const [name, path] of [
      ['page load to 50 rows and counts, all', '/ui/work'],
      ['page load to 50 rows and counts, To Do', '/ui/work?state=todo'],
    ] as const) {
      const xs: number[] = [];
      for (let i = 0; i < 8; i++) {
        const s = performance.now();
        await page.goto(`${url}${path}`);
        await page.locator('table.actions tbody tr').nth(49).waitFor();
        await page.locator('.counts .n').first().waitFor();
        xs.push(performance.now() - s);
      }
      console.log(`${name.padEnd(36)} ${fmt(xs.slice(2))}`);
    }
    const xs: number[] = [];
    for (let i = 0; i < 8; i++) {
      await page.goto(`${url}/ui/work`);
      await page.locator('table.actions tbody tr').nth(49).waitFor();
      const first = await page.locator('table.actions tbody tr').first().getAttribute('data-id');
      const s = performance.now();
      await page.getByRole('link', { name: 'Older' }).click();
      await page.waitForFunction((id) => document.querySelector('table.actions tbody tr')?.getAttribute('data-id') !== id, first);
      xs.push(performance.now() - s);
    }
    console.log(`${'next page in the browser (Older)'.padEnd(36)} ${fmt(xs.slice(2))}`);
  } finally {
    await b.close();
    await app.close();
    await callout.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const { dropSchema } = await import('../test/helpers/pg.ts');
      await dropSchema(schema);
    }
  }
}

await main();
