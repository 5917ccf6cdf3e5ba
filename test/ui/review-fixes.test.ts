// What a second outside review of the UI found, each with a test that failed before its fix: the focus
// lost to the page itself when the pressed button went away, names that reordered or widened the page,
// a process's name error shown by its steps, and buttons a double click pressed twice (Disable a user,
// Test connection). Requests are held with page.route, the second click forced as a hand would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { holdRequests, keyWith, launchBrowser, olgaOnHr, signedIn, type Browser } from './browser.ts';

describe('the second UI review, mended', () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let caseId: string;
  let builder: string;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    ({ olga, caseId } = await olgaOnHr(h));
    builder = await keyWith(h, 'bella', ['builder']);
    admin = await keyWith(h, 'ada', ['admin']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const focused = (page: Page) =>
    page.evaluate(() => {
      const e = document.activeElement;
      return e === null || e === document.body
        ? 'BODY'
        : `${e.tagName}${e.id ? `#${e.id}` : ''}:${(e.textContent ?? '').trim().slice(0, 40)}`;
    });

  it("on a case's task: Pick up keeps the focus on the task, Complete… opens its form with the focus in it, Cancel goes back", async () => {
    const t = (await h.api('POST', `/v1/cases/${caseId}/tasks`, { title: 'Focus task', queue: 'hr' })).body.id as string;
    const page = await signedIn(b, h, olga, `/ui/cases/${caseId}`);
    const task = page.locator(`section.task[data-task="${t}"]`);
    await task.getByRole('button', { name: 'Pick up' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => task.getByTestId('state').textContent()).toMatch(/^In Progress/);
    await expect.poll(() => focused(page)).toMatch(/^H3#task-.*Focus task/);
    await task.getByRole('button', { name: 'Complete…' }).click();
    await expect.poll(() => focused(page)).toBe('INPUT:');
    expect(await task.getByLabel('Done Successfully', { exact: true }).evaluate((e) => e === document.activeElement)).toBe(true);
    await task.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => focused(page)).toMatch(/^BUTTON#task-.*-completing:Complete…/);
    await task.getByRole('button', { name: 'Complete…' }).click();
    await task.getByRole('button', { name: 'Complete', exact: true }).click();
    await expect.poll(() => task.count()).toBe(0);
    // The task went with its completion: the focus is on the page's heading, not on the page itself.
    await expect.poll(() => focused(page)).toMatch(/^H1/);
    await page.close();
  });

  it('a notification marked read moves the focus to the next one’s Mark read', async () => {
    for (const title of ['First notice', 'Second notice'])
      expect((await h.api('POST', `/v1/cases/${caseId}/tasks`, { title, queue: 'hr', assignee: 'olga' })).status).toBe(201);
    const page = await signedIn(b, h, olga, '/ui/notifications');
    const marks = page.getByRole('button', { name: 'Mark read' });
    await expect.poll(() => marks.count()).toBeGreaterThanOrEqual(2);
    const second = await page.locator('li', { has: marks }).nth(1).getAttribute('data-id');
    await marks.first().click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('li')?.getAttribute('data-id') ?? 'none')).toBe(second);
    await page.close();
  });

  it('a title with an unclosed right-to-left override reorders nothing after it, and a long one wraps', async () => {
    const rlo = (await h.api('POST', '/v1/cases', { title: 'Refund \u202eok', queue: 'hr' })).body.id as string;
    const long = (await h.api('POST', '/v1/cases', { title: 'x'.repeat(400), queue: 'hr' })).body.id as string;
    const page = await signedIn(b, h, olga, `/ui/cases/${rlo}`);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.waitFor();
    // The id after the title reads left to right: its own bidi run, not the override's.
    const id = heading.locator('.muted');
    expect(await id.evaluate((e) => getComputedStyle(e).unicodeBidi)).toBe('isolate');
    expect(await heading.locator('bdi').evaluate((e) => getComputedStyle(e).unicodeBidi)).toBe('isolate');
    const box = async (sel: string) => page.locator(sel).evaluate((e) => e.getBoundingClientRect().left);
    // Drawn after the title's box, as written (the override drew it before, reversed).
    expect(await box('h1 .muted')).toBeGreaterThan(await box('h1 bdi'));

    for (const path of [`/ui/cases/${long}`, '/ui/cases']) {
      await page.goto(`${h.url}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.getByText('xxxxxxxxxx').first().waitFor();
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(scroll, path).toBeLessThanOrEqual(width);
    }
    await page.close();
  });

  it('a failed step says why on the case page', async () => {
    const p = await h.api('POST', '/v1/processes', {
      name: 'fails-here',
      steps: [{ name: 'shape', kind: 'map', expression: '$error("Cost centre unknown")' }],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const c = (await h.api('POST', '/v1/cases', { process: 'fails-here', data: {} })).body.id as string;
    // The harness here does not start the case worker: its events are applied now.
    await h.callout.caseWorker.drain(c);
    const page = await signedIn(b, h, olga, `/ui/cases/${c}`);
    await expect.poll(() => page.getByTestId('step-error').textContent(), { timeout: 10_000 }).toContain('Cost centre unknown');
    await page.close();
  });

  it("a process's name refused is said by the Name field, announced, not by the steps", async () => {
    const page = await signedIn(b, h, builder, '/ui/processes/new');
    await page.getByLabel('Name').fill('bad name!');
    await page.getByLabel('Steps (JSON)').fill('[{"name":"a","kind":"manual","queue":"hr"}]');
    await page.getByRole('button', { name: 'Create process' }).click();
    const name = page.getByLabel('Name');
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    const said = page.locator(`#${await name.getAttribute('aria-describedby')}`);
    expect(await said.getAttribute('role')).toBe('alert');
    expect(await said.textContent()).toMatch(/./);
    expect(await page.getByLabel('Steps (JSON)').getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByTestId('field-errors').count()).toBe(0);
    await page.close();
  });

  it('a user disabled with a double click is disabled once, the row saying so at once', async () => {
    expect((await h.api('POST', '/v1/users', { name: 'ursula' })).status).toBe(201);
    const page = await signedIn(b, h, admin, '/ui/users');
    const disable = page.getByRole('button', { name: 'Disable ursula' });
    await disable.waitFor();
    const patches = await holdRequests(page, (u) => u.pathname === '/v1/users/ursula', 'PATCH');
    await disable.click();
    await expect.poll(() => patches.count()).toBe(1);
    await disable.click({ force: true });
    await patches.release();
    await page.getByRole('button', { name: 'Enable ursula' }).waitFor();
    expect(patches.count()).toBe(1);
    expect((await h.api('GET', '/v1/users/ursula')).body.disabled).toBe(true);
    await page.close();
  });

  it('Test connection sends one test at a time, and a failing test shows no earlier success', async () => {
    expect((await h.api('POST', '/v1/connectors', { name: 'probe', baseUrl: h.mock.url })).status).toBe(201);
    const page = await signedIn(b, h, builder, '/ui/connectors/probe');
    const test = page.getByRole('button', { name: 'Test connection' });
    const tests = await holdRequests(page, (u) => u.pathname.endsWith('/test'), 'POST');
    await test.click();
    await expect.poll(() => tests.count()).toBe(1);
    await test.click({ force: true });
    await tests.release();
    await expect.poll(() => page.getByTestId('test-reachable').textContent()).toMatch(/^Yes: /);
    expect(tests.count()).toBe(1);
    // The next test fails: its error, and no result of the one before.
    await page.route(
      (u) => u.pathname.endsWith('/test'),
      (r) => r.fulfill({ status: 502, contentType: 'application/problem+json', body: '{"title":"Bad Gateway","status":502}' }),
    );
    await test.click();
    await page.getByRole('alert').filter({ hasText: 'Bad Gateway' }).waitFor();
    expect(await page.getByTestId('test-connection').count()).toBe(0);
    await page.close();
  });
});
