// A connector's health over time on its page, in a real browser: a run of successes, slow answers and
// 503s from the loopback mock shows in the chart and in the table beside it, with the failures'
// warning; the period is in the address (?window=24h) and Back returns to the hour; axe is clean.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe("a connector's health on its page", () => {
  let h: Harness;
  let b: Browser;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows successes and failures per minute as a chart and a table, and switches to the last 24 hours by the address', async () => {
    const id = await connector(h);
    await actionType(h, { name: 'fine', path: '/ok' });
    await actionType(h, { name: 'slowish', path: '/slow?ms=400' });
    await actionType(h, { name: 'down', path: '/status/503', retry: { maxRetries: 0 } });
    const sent = [
      ...(await Promise.all(Array.from({ length: 8 }, () => launch(h, 'fine')))),
      ...(await Promise.all(Array.from({ length: 2 }, () => launch(h, 'slowish')))),
      ...(await Promise.all(Array.from({ length: 4 }, () => launch(h, 'down')))),
    ];
    for (const a of sent) await h.waitFor(a.id, (x) => x.attempts === 1 && x.state !== 'waiting');
    // What a node counted reaches the store at its next flush (every 10 s): now, for the test.
    await h.callout.engine.stats.flush(h.callout.clock.now());

    const page = await signedIn(b, h, h.adminKey, `/ui/connectors/${id}`);
    const health = page.getByRole('region', { name: 'Health' });
    const summary = health.getByTestId('health-summary');
    await expect.poll(() => summary.textContent()).toContain('vendor, last hour: 10 attempts succeeded and 4 failed (29 % failed)');
    const chart = health.getByRole('img', { name: /vendor, last hour: 10 attempts succeeded and 4 failed/ });
    expect(await chart.locator('rect.sends').count()).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('rect.failures').count()).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('polyline.latency').count()).toBe(1);
    // Someone can act on this: 4 of 14 attempts failed in the last minutes, all 5xx.
    expect(await health.getByTestId('health-warn-failures').textContent()).toMatch(
      /Failures are at 29 % in the last 5 minutes \(4 of 14 attempts: 4 HTTP 5xx\)\. The system fails/,
    );
    // All is well otherwise: no warning about the circuit or the rate limits.
    expect(await health.locator('.warn').count()).toBe(1);

    await health.getByText('The numbers, per minute').click();
    const table = health.getByTestId('health-table');
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows.reduce((s, r) => s + Number(r[0]), 0)).toBe(10);
    expect(rows.reduce((s, r) => s + Number(r[1]), 0)).toBe(4);
    expect(rows.map((r) => r[2]).join(' ')).toContain('4 HTTP 5xx');
    // The slow answers (400 ms) show in the slowest column.
    expect(rows.some((r) => /^0\.4 s$|^4\d\d ms$/.test(r[5] ?? ''))).toBe(true);
    await expectAccessible(page, 'connector-health');

    await health.getByRole('link', { name: 'Last 24 hours' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('window')).toBe('24h');
    await expect.poll(() => summary.textContent()).toContain('vendor, last 24 hours: 10 attempts succeeded and 4 failed');
    expect(await health.getByRole('link', { name: 'Last 24 hours' }).getAttribute('aria-current')).toBe('page');
    await page.goBack();
    await expect.poll(() => summary.textContent()).toContain('vendor, last hour:');
  });
});
