// The bulk replay screen's recent runs, in a real browser: the person's own newest runs (not another
// operator's), each linked to its kept page with its status and totals; a run whose node stopped says
// "Interrupted: …" there, and a run followed while it reads as running stops being followed once it
// reads as interrupted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { uuidv7 } from '../../src/ids.ts';
import type { ReplayRunRow } from '../../src/store/bulk-schedule-types.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const MINUTE = 60_000;

describe('bulk replay recent runs', () => {
  let h: Harness;
  let b: Browser;
  let key: string;
  let done: string;
  let me: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    key = await keyWith(h, 'ops-recent', ['operator']);
    const other = await keyWith(h, 'ops-other', ['operator']);
    const run = async (k: string) => {
      const r = await h.api(
        'POST',
        '/v1/bulk-replays',
        { filter: { caseId: 'none' }, operation: 'retry' },
        { authorization: `Bearer ${k}` },
      );
      expect(r.status).toBe(200);
      return r.body.id as string;
    };
    await run(other);
    done = await run(key);
    me = (await h.api('GET', `/v1/bulk-replays/${done}`)).body.createdBy;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  /** A run left `running` by a node, last moved `movedAgo` ms ago. */
  const leftRunning = async (startedAgo: number, movedAgo: number, over: Partial<ReplayRunRow> = {}): Promise<string> => {
    const now = Date.now();
    const id = uuidv7(now - startedAgo);
    await h.callout.store.insertReplayRun({
      id,
      createdBy: me,
      operation: 'close',
      request: JSON.stringify({ filter: { state: 'todo' }, operation: 'close', resolution: 'done_successfully' }),
      status: 'running',
      count: 5,
      done: 2,
      skipped: 1,
      remaining: 0,
      error: null,
      createdAt: now - startedAgo,
      updatedAt: now - movedAgo,
      finishedAt: null,
      ...over,
    });
    return id;
  };

  it('lists the person’s own runs newest first, linked; an interrupted one says so on its page', async () => {
    const stopped = await leftRunning(30 * MINUTE, 20 * MINUTE);
    const page = await signedIn(b, h, key, '/ui/replays');
    const table = page.getByTestId('recent-runs');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).toEqual([done, stopped]);
    expect(await rows.nth(0).locator('td').allTextContents()).toEqual([expect.any(String), 'Retry', 'Done', '0 retried, 0 skipped of 0']);
    expect((await rows.nth(1).locator('td').allTextContents()).slice(1)).toEqual(['Close', 'Interrupted', '2 closed, 1 skipped of 5']);
    expect(await rows.nth(1).locator('a time').getAttribute('datetime')).toMatch(/^\d{4}-.*Z$/);
    await expectAccessible(page, 'replay-recent-runs');

    await rows.nth(1).getByRole('link').click();
    await page.waitForURL(`**/ui/replays/${stopped}`);
    const status = page.getByTestId('run-status');
    await expect.poll(() => status.textContent()).toMatch(/^Interrupted: Its node stopped during the run, about .+: the actions listed/);
    expect(await status.textContent()).toContain('preview again for what is left');
    expect(await status.locator('time').count()).toBeGreaterThan(1);
    await expectAccessible(page, 'replay-run-interrupted');
    await page.close();
  });

  it('a run followed while it reads as running stops being followed once it reads as interrupted', async () => {
    // Its last move 9 minutes 56 seconds ago: running for four more seconds, then interrupted.
    const id = await leftRunning(15 * MINUTE, 10 * MINUTE - 4_000);
    const page = await signedIn(b, h, key, `/ui/replays/${id}`);
    let reads = 0;
    page.on('request', (r) => {
      if (r.url().includes(`/v1/bulk-replays/${id}`)) reads++;
    });
    const status = page.getByTestId('run-status');
    await expect.poll(() => status.textContent()).toMatch(/^Running; last moved/);
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toMatch(/^Interrupted: Its node stopped/);
    const then = reads;
    expect(then).toBeGreaterThan(0);
    // No more reads: the page followed it every two seconds while it was running.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(reads).toBe(then);
    await page.close();
  });
});
