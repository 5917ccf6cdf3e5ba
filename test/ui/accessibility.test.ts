// axe-core on every main screen, light and dark, with real data behind them. With
// CALLOUT_SCREENSHOTS=1 the same walk writes the README's screenshots into docs/screenshots/.

import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

const SHOTS = process.env.CALLOUT_SCREENSHOTS === '1' ? new URL('../../docs/screenshots/', import.meta.url).pathname : undefined;

async function check(page: Page, screen: string): Promise<void> {
  await page.locator('main h1').waitFor();
  await page.locator('.loading').waitFor({ state: 'detached' });
  await expectAccessible(page, screen);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}${screen}.png` });
}

describe('accessibility of the main screens', () => {
  let h: Harness;
  let b: Browser;
  let failing: string;
  let caseId: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    await connector(h, { rateLimits: [{ limit: 100, per: '1m' }] });
    await actionType(h, {
      name: 'create-ticket',
      path: '/ok',
      body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
      fields: { Priority: { type: 'integer', default: 3 } },
      response: { externalReference: 'id' },
    });
    await actionType(h, {
      name: 'sync-payroll',
      path: '/status/503',
      body: { format: 'json', template: '{"employee": "{{ Employee }}"}' },
      retry: { maxRetries: 5, interval: '1h' },
    });
    await actionType(h, { name: 'charge-cost-centre', path: '/reject', body: { format: 'json', template: '{"cc": "{{ CostCentre }}"}' } });
    for (const t of ['Printer jammed', 'New starter laptop', 'VPN access'])
      await h.api('POST', '/v1/actions', { actionType: 'create-ticket', input: { Title: t } });
    await h.api('POST', '/v1/actions', { actionType: 'charge-cost-centre', input: { CostCentre: 'CC-000' } });
    failing = (await h.api('POST', '/v1/actions', { actionType: 'sync-payroll', input: { Employee: 'E-1042' } })).body.id;
    await h.waitFor(failing, (a) => a.phase === 'retry_scheduled');
    // An escalation to the case's owner (the admin key's name) for the case page and notifications.
    await actionType(h, { name: 'order-desk', path: '/status/503', retry: { maxRetries: 0 } });
    caseId = (await h.api('POST', '/v1/cases', { data: { employee: 'Jane Doe' }, owner: 'CALLOUT_ADMIN_KEY' })).body.id;
    const escalating = (await h.api('POST', '/v1/actions', { actionType: 'order-desk', caseId })).body.id;
    await h.waitFor(escalating, (a) => a.escalated);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('has no serious or critical axe violations on any main screen, light or dark', async () => {
    await b.context.clearCookies();
    const signIn = await b.context.newPage();
    await signIn.goto(`${h.url}/ui/work`);
    await check(signIn, 'sign-in');
    await signIn.close();

    const page = await signedIn(b, h, h.adminKey);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const shot = (name: string): string => (scheme === 'light' ? name : `${name}-dark`);
      await page.goto(`${h.url}/ui/work`);
      await page.locator('table.actions tbody tr').first().waitFor();
      await check(page, shot('work'));
      // The bulk replay screen with its preview and the confirmation open (light and dark).
      await page.goto(`${h.url}/ui/replays?actionType=charge-cost-centre`);
      await page.getByRole('button', { name: 'Run…' }).click();
      await page.getByRole('button', { name: /^Retry \d+ action/ }).waitFor();
      await check(page, shot('replays'));
      if (scheme === 'dark') continue;
      await page.goto(`${h.url}/ui/work?state=waiting`);
      await page.locator('table.actions tbody tr').first().waitFor();
      await check(page, 'work-filtered');
      await page.goto(`${h.url}/ui/actions/${failing}`);
      await page.getByTestId('error-bar').waitFor();
      await page.locator('.timeline li').first().waitFor();
      await check(page, 'action');
      await page.goto(`${h.url}/ui/cases/${caseId}`);
      await page.getByText('Escalated: order-desk').waitFor();
      await check(page, 'case');
      await page.goto(`${h.url}/ui/notifications`);
      await page.locator('.timeline li').first().waitFor();
      await check(page, 'notifications');
      await page.goto(`${h.url}/ui/dashboard`);
      await page.locator('figure svg').first().waitFor();
      await check(page, 'dashboard');
      await page.goto(`${h.url}/ui/connectors`);
      await page.locator('tbody tr').first().waitFor();
      await check(page, 'connectors');
      await page.goto(`${h.url}/ui/connectors/vendor`);
      await page.getByLabel('Base URL').waitFor();
      await check(page, 'connector');
      await page.goto(`${h.url}/ui/action-types`);
      await page.locator('tbody tr').first().waitFor();
      await check(page, 'action-types');
      await page.goto(`${h.url}/ui/action-types/create-ticket`);
      await page.getByTestId('parsed-fields').locator('tr[data-field="Title"]').waitFor();
      await check(page, 'action-type');
      await page.goto(`${h.url}/ui/api-keys`);
      await check(page, 'api-keys');
      await page.goto(`${h.url}/ui/config`);
      await check(page, 'config');
    }
  });

  it('the check itself catches a violation (an unlabelled input, text without contrast)', async () => {
    const page = await signedIn(b, h, h.adminKey);
    await page.locator('main h1').waitFor();
    await page.evaluate(() => {
      const main = document.querySelector('main')!;
      main.append(document.createElement('input'));
      const p = document.createElement('p');
      p.textContent = 'barely visible';
      p.style.color = '#eeeeee';
      main.append(p);
    });
    await expect(expectAccessible(page, 'broken')).rejects.toThrow(/label|color-contrast/);
  });
});
