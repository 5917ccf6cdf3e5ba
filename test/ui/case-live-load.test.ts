// An idle case page reads the case alone every few seconds: the timelines behind its notes are read
// once, and again only for an action the live feed says changed (a new note shows without a reload).

import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { launchBrowser, signedIn, type Browser } from './browser.ts';

describe('case page while idle', () => {
  let h: Harness;
  let b: Browser;
  let caseId: string;
  const ids: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    await actionType(h, { name: 'charge', path: '/reject' });
    caseId = (await h.api('POST', '/v1/cases', { title: 'Idle case', data: {} })).body.id;
    for (let i = 0; i < 5; i++) ids.push((await launch(h, 'charge', {}, { caseId })).id);
    for (const id of ids) await h.waitFor(id, (a) => a.state === 'todo');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('reads no timeline while nothing changes, and only the changed one for a new note', async () => {
    const page = await signedIn(b, h, h.adminKey, `/ui/cases/${caseId}`);
    await page.getByRole('heading', { name: /Idle case/ }).waitFor();
    await page.getByText('No notes yet.').waitFor();
    await page.waitForTimeout(500);
    const read: string[] = [];
    let cases = 0;
    const count = (r: Request): void => {
      const path = new URL(r.url()).pathname;
      const m = /^\/v1\/actions\/([0-9a-f-]{36})\/timeline$/.exec(path);
      if (m) read.push(m[1]!);
      if (path === `/v1/cases/${caseId}`) cases++;
    };
    page.on('request', count);
    await page.waitForTimeout(7000);
    expect(read).toEqual([]);
    // Still kept current: the case itself is read again.
    expect(cases).toBeGreaterThan(0);

    expect((await h.api('POST', `/v1/actions/${ids[2]}/notes`, { note: 'called the customer' })).status).toBe(200);
    await page.getByText('called the customer').waitFor({ timeout: 8000 });
    page.off('request', count);
    expect(new Set(read)).toEqual(new Set([ids[2]]));
    await page.close();
  });
});
