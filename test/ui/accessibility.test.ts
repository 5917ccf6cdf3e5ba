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
    // Saved views (with their counts) on the work and cases screens: one shared, one not, one not counted.
    for (const [name, screen, query, shared] of [
      ['Failing now', 'work', 'state=waiting&phase=retry_scheduled', true],
      ['Tickets', 'work', 'actionType=create-ticket', false],
      ['Jane', 'cases', 'q=Jane', true],
    ] as const)
      expect((await h.api('POST', '/v1/views', { name, screen, query, shared })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  // One test per screen and scheme, so a slow machine meets each test's timeout and a failure names its screen.
  let page: Page;
  it('sign-in', async () => {
    await b.context.clearCookies();
    const signIn = await b.context.newPage();
    await signIn.goto(`${h.url}/ui/work`);
    await check(signIn, 'sign-in');
    await signIn.close();
    page = await signedIn(b, h, h.adminKey);
  });

  const screens: { name: string; path: () => string; ready: (p: Page) => Promise<unknown>; dark?: true }[] = [
    { name: 'work', path: () => '/ui/work', ready: (p) => p.locator('table.actions tbody tr').first().waitFor(), dark: true },
    {
      // The bulk replay screen with its preview and the confirmation open.
      name: 'replays',
      path: () => '/ui/replays?actionType=charge-cost-centre',
      ready: async (p) => {
        await p.getByRole('button', { name: 'Run…' }).click();
        await p.getByRole('button', { name: /^Retry \d+ action/ }).waitFor();
      },
      dark: true,
    },
    {
      // The header's time zone setting, open (on every screen; closed, the other screens check it).
      name: 'time-zone-setting',
      path: () => '/ui/work',
      ready: async (p) => {
        await p.locator('table.actions tbody tr').first().waitFor();
        await p.locator('summary', { hasText: 'Times in' }).click();
        await p.getByLabel('Show times in').waitFor();
      },
      dark: true,
    },
    { name: 'work-filtered', path: () => '/ui/work?state=waiting', ready: (p) => p.locator('table.actions tbody tr').first().waitFor() },
    {
      // The saved views with their counts, one of them the view shown.
      name: 'work-views',
      path: () => '/ui/work?state=waiting&phase=retry_scheduled',
      ready: (p) => p.locator('.saved-views li[data-view="Failing now"] [data-testid="view-count"]').waitFor(),
      dark: true,
    },
    {
      name: 'cases-views',
      path: () => '/ui/cases',
      ready: async (p) => {
        await p.locator('table.cases tbody tr').first().waitFor();
        await p.locator('.saved-views li[data-view="Jane"]').waitFor();
      },
    },
    {
      // The work list with the failing action's card beside it (the browser is wide enough), its row selected.
      name: 'work-side-by-side',
      path: () => `/ui/work?selected=${failing}`,
      ready: async (p) => {
        await p.locator(`table.actions tr.selected[data-id="${failing}"]`).waitFor();
        await p.getByTestId('pane').getByTestId('error-bar').waitFor();
        await p.getByTestId('pane').locator('.timeline li').first().waitFor();
      },
      dark: true,
    },
    {
      name: 'action',
      path: () => `/ui/actions/${failing}`,
      ready: async (p) => {
        await p.getByTestId('error-bar').waitFor();
        await p.locator('.timeline li').first().waitFor();
      },
    },
    { name: 'case', path: () => `/ui/cases/${caseId}`, ready: (p) => p.getByText('Escalated: order-desk').waitFor() },
    { name: 'notifications', path: () => '/ui/notifications', ready: (p) => p.locator('.timeline li').first().waitFor() },
    { name: 'dashboard', path: () => '/ui/dashboard', ready: (p) => p.locator('figure svg').first().waitFor() },
    { name: 'connectors', path: () => '/ui/connectors', ready: (p) => p.locator('tbody tr').first().waitFor() },
    { name: 'connector', path: () => '/ui/connectors/vendor', ready: (p) => p.getByLabel('Base URL').waitFor() },
    { name: 'action-types', path: () => '/ui/action-types', ready: (p) => p.locator('tbody tr').first().waitFor() },
    {
      name: 'action-type',
      path: () => '/ui/action-types/create-ticket',
      ready: (p) => p.getByTestId('parsed-fields').locator('tr[data-field="Title"]').waitFor(),
    },
    { name: 'api-keys', path: () => '/ui/api-keys', ready: async () => {} },
    { name: 'config', path: () => '/ui/config', ready: async () => {} },
  ];
  for (const scheme of ['light', 'dark'] as const)
    for (const s of screens.filter((x) => scheme === 'light' || x.dark)) {
      const shot = scheme === 'light' ? s.name : `${s.name}-dark`;
      it(`${shot}: no serious or critical axe violations`, async () => {
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${h.url}${s.path()}`);
        await s.ready(page);
        await check(page, shot);
      });
    }

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
