// The library's paged lists check their page size as the API's routes do: a caller embedding the
// engine who passes -1, 0, 1.5 or 501 gets a ValidationError naming `limit`, not a page that reads
// differently on each store (SQLite's LIMIT -1 is no limit at all; PostgreSQL refuses it).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../src/callout.ts';
import { ValidationError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';

let c: Callout;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'callout-page-limits-'));
  c = await Callout.open({ dataDir, logger: createLogger({ level: 'silent' }) });
});
afterAll(async () => {
  await c.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('every paged list of the library refuses a limit that is not an integer from 1 to 500, naming it; 1 and 500 are taken', async () => {
  const lists: Array<[string, (limit: number) => Promise<unknown>]> = [
    ['connectors', (limit) => c.connectors.page({ limit })],
    ['actionTypes', (limit) => c.actionTypes.page({ limit })],
    ['processes', (limit) => c.processes.page({ limit })],
    ['process names', (limit) => c.processes.namesPage({ limit })],
    ['schedules', (limit) => c.schedules.page({ limit })],
    ['webhooks', (limit) => c.webhooks.page({ limit })],
    ['users', (limit) => c.users.page({ limit })],
    ['queues', (limit) => c.queues.page({ limit })],
    ['apiKeys', (limit) => c.apiKeys.page({ limit })],
    ['actions', (limit) => c.actions.listActions({ limit })],
    ['cases', (limit) => c.cases.listCases({ limit })],
  ];
  for (const [name, read] of lists) {
    for (const bad of [-1, 0, 1.5, 501, Number.NaN]) {
      const err = await read(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${name} limit ${bad}`).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors, `${name} limit ${bad}`).toEqual([
        { field: 'limit', message: 'must be an integer from 1 to 500' },
      ]);
    }
    await expect(read(1), name).resolves.toMatchObject({ items: expect.any(Array) });
    await expect(read(500), name).resolves.toMatchObject({ items: expect.any(Array) });
  }
});
