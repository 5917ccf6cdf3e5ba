// Working through a queue in a real browser: a row's card opens beside the work list (kept in the URL
// across a reload and back/forward), the keyboard moves between rows and opens one, a task is picked
// up and released from the card with its row changing in place, and a task another person takes or
// completes while it is open says so in the card and loses the buttons that no longer apply.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, holdRequests, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('the work list as a task list', () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let pete: Record<string, string>;
  let caseId: string;
  const task = async (title: string): Promise<string> => {
    const r = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title, queue: 'hr' });
    if (r.status !== 201) throw new Error(`task: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  };
  const row = (page: Page, id: string) => page.locator(`table.actions tr[data-id="${id}"]`);

  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    for (const name of ['olga', 'pete']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
    // Allocation none: tasks wait on the queue, unassigned, until someone picks one up.
    expect((await h.api('POST', '/v1/queues', { name: 'hr', members: ['olga', 'pete'], allocation: 'none' })).status).toBe(201);
    olga = await keyWith(h, 'olga-key', ['operator'], 'olga');
    pete = { authorization: `Bearer ${await keyWith(h, 'pete-key', ['operator'], 'pete')}` };
    caseId = (await h.api('POST', '/v1/cases', { title: 'Onboarding' })).body.id as string;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('a row clicked shows its card beside the list, and the URL keeps it across a reload and back/forward', async () => {
    const first = await task('Check references');
    const second = await task('Order a badge');
    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    await row(page, second).getByRole('link', { name: 'Order a badge' }).click();
    const pane = page.getByTestId('pane');
    await pane.getByRole('heading', { name: /Order a badge/ }).waitFor();
    // Still the work list: its heading and rows stay.
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Work');
    expect(new URL(page.url()).searchParams.get('selected')).toBe(second);
    expect(new URL(page.url()).searchParams.get('queue')).toBe('hr');
    expect(await row(page, second).getAttribute('aria-current')).toBe('true');

    await page.reload();
    await pane.getByRole('heading', { name: /Order a badge/ }).waitFor();
    expect(await row(page, second).getAttribute('aria-current')).toBe('true');

    await row(page, first).getByRole('link', { name: 'Check references' }).click();
    await pane.getByRole('heading', { name: /Check references/ }).waitFor();
    await page.goBack();
    await pane.getByRole('heading', { name: /Order a badge/ }).waitFor();
    await page.goForward();
    await pane.getByRole('heading', { name: /Check references/ }).waitFor();
    await expectAccessible(page, 'work with the card beside it');

    // Narrow, the row is a link to the card's own page, as before.
    await page.setViewportSize({ width: 900, height: 860 });
    await expect.poll(() => pane.count()).toBe(0);
    await row(page, second).getByRole('link', { name: 'Order a badge' }).click();
    await page.waitForURL(`**/ui/actions/${second}`);
    await page.getByRole('heading', { level: 1, name: /Order a badge/ }).waitFor();
    await page.close();
  });

  it('arrow keys and j/k move between rows, and Enter shows the focused one beside the list', async () => {
    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    const links = page.locator('table.actions a.row-open');
    await expect.poll(() => links.count()).toBeGreaterThanOrEqual(2);
    const ids = await page.locator('table.actions tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-id')));
    await links.first().focus();
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id'))).toBe(ids[1]);
    await page.keyboard.press('k');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id'))).toBe(ids[0]);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id'))).toBe(ids[1]);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('selected')).toBe(ids[1]);
    await page.getByTestId('pane').locator('[data-testid="state"]').waitFor();
    // Focus stays on the list, so the next row is one key away.
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id'))).toBe(ids[1]);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('selected')).toBe(ids[0]);
    await page.close();
  });

  it('picked up and released from the card, the row changes in place; Mine and Unassigned count open tasks', async () => {
    const id = await task('Book a desk');
    const page = await signedIn(b, h, olga, `/ui/work?queue=hr&selected=${id}`);
    const pane = page.getByTestId('pane');
    const whose = page.getByRole('navigation', { name: 'Whose work' });
    await expect.poll(() => whose.getByRole('link', { name: /^Mine/ }).textContent()).toBe('Mine 0 open');
    const unassigned = Number((await whose.getByRole('link', { name: /^Unassigned/ }).textContent())!.match(/\d+/)![0]);
    expect(unassigned).toBeGreaterThanOrEqual(1);

    await pane.getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => row(page, id).getByTestId('state').textContent()).toMatch(/^In Progress/);
    expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'in_progress', assignee: 'olga' });
    await expect.poll(() => whose.getByRole('link', { name: /^Mine/ }).textContent()).toBe('Mine 1 open');

    await pane.getByRole('button', { name: 'Release to hr' }).click();
    await expect.poll(() => row(page, id).getByTestId('state').textContent()).toMatch(/^To Do/);
    expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', assignee: null, queue: 'hr' });
    await pane.getByRole('button', { name: 'Pick up' }).waitFor();
    expect(await pane.getByRole('button', { name: 'Release to hr' }).count()).toBe(0);
    // My own change is no news to me.
    expect(await pane.getByTestId('changed-elsewhere').count()).toBe(0);

    // From a row of the list too, without opening it.
    await page.goto(`${h.url}/ui/work?queue=hr`);
    await row(page, id).getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => row(page, id).getByTestId('state').textContent()).toMatch(/^In Progress/);
    await row(page, id).getByRole('button', { name: 'Release' }).click();
    await expect.poll(() => row(page, id).getByTestId('state').textContent()).toMatch(/^To Do/);
    expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({ state: 'todo', assignee: null });
    await page.close();
  });

  it('a task taken, then completed, by someone else while open beside the list says so and loses the buttons that no longer apply', async () => {
    const id = await task('Sign the contract');
    const page = await signedIn(b, h, olga, `/ui/work?queue=hr&selected=${id}`);
    const pane = page.getByTestId('pane');
    await pane.getByRole('button', { name: 'Pick up' }).waitFor();

    expect((await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, pete)).status).toBe(200);
    const notice = pane.getByRole('alert').filter({ hasText: 'Changed elsewhere' });
    await expect.poll(() => notice.textContent(), { timeout: 10_000 }).toContain('pete took this task and is working on it');
    expect(await pane.getByRole('button', { name: 'Pick up' }).count()).toBe(0);
    expect(await pane.getByRole('button', { name: 'Complete' }).count()).toBe(0);
    await pane.getByRole('button', { name: 'Take over' }).waitFor();
    await expect.poll(() => row(page, id).getByTestId('state').textContent()).toMatch(/^In Progress/);

    expect((await h.api('POST', `/v1/actions/${id}/complete`, { resolution: 'done_successfully' }, pete)).status).toBe(200);
    await expect.poll(() => notice.textContent(), { timeout: 10_000 }).toContain('closed elsewhere while you had it open');
    expect(await pane.getByRole('button', { name: 'Take over' }).count()).toBe(0);
    await page.close();
  });

  it('a task released twice in a hurry is given back once: to the other member, not straight back, and no error', async () => {
    expect((await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'], allocation: 'round_robin' })).status).toBe(201);
    const onDesk = async (title: string): Promise<string> => {
      const r = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title, queue: 'desk' });
      expect(r.body.assignee).toBe('olga');
      return r.body.id as string;
    };
    const card = await onDesk('Book a desk');
    const page = await signedIn(b, h, olga, `/ui/work?queue=desk&selected=${card}`);
    const assign = (u: URL): boolean => u.pathname.endsWith('/assign');
    let sent = await holdRequests(page, assign);
    const pane = page.getByTestId('pane');
    const release = pane.getByRole('button', { name: 'Release to desk' });
    await release.click();
    await expect.poll(() => sent.count()).toBe(1);
    await release.click({ force: true });
    await sent.release();
    await expect.poll(async () => (await h.api('GET', `/v1/actions/${card}`)).body.assignee).toBe('pete');
    await expect.poll(() => row(page, card).textContent()).toContain('pete');
    expect(sent.count()).toBe(1);
    expect(await pane.getByRole('alert').count()).toBe(0);

    // From a row: the same.
    const fromRow = await onDesk('Order a chair');
    await page.goto(`${h.url}/ui/work?queue=desk`);
    sent = await holdRequests(page, assign);
    const rowRelease = row(page, fromRow).getByRole('button', { name: 'Release' });
    await rowRelease.click();
    await expect.poll(() => sent.count()).toBe(1);
    await rowRelease.click({ force: true });
    await sent.release();
    await expect.poll(async () => (await h.api('GET', `/v1/actions/${fromRow}`)).body.assignee).toBe('pete');
    expect(sent.count()).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it("an error on one task's card is not shown on the next task's card", async () => {
    const first = await task('Scan the passport');
    const second = await task('Print the badge');
    const page = await signedIn(b, h, olga, `/ui/work?queue=hr&selected=${first}`);
    const pane = page.getByTestId('pane');
    const pickUps = await holdRequests(page, (u) => u.pathname.endsWith('/pick-up'));
    await pane.getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => pickUps.count()).toBe(1);
    // Pete is first: hers is refused.
    expect((await h.api('POST', `/v1/actions/${first}/pick-up`, undefined, pete)).status).toBe(200);
    await pickUps.release();
    await pane.getByRole('alert').filter({ hasText: 'pete' }).first().waitFor();
    await row(page, second).getByRole('link', { name: 'Print the badge' }).click();
    await pane.getByRole('heading', { name: /Print the badge/ }).waitFor();
    await pane.getByRole('button', { name: 'Pick up' }).waitFor();
    expect(await pane.getByRole('alert').count()).toBe(0);
    await page.close();
  });

  it("from the keyboard: the right arrow (or l) goes from the open row into its card, whose buttons are the next Tab; a row's button leaves the focus on its row", async () => {
    const id = await task('Water the plants');
    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    const link = row(page, id).getByRole('link', { name: 'Water the plants' });
    await link.focus();
    await page.keyboard.press('Enter');
    await page
      .getByTestId('pane')
      .getByRole('heading', { name: /Water the plants/ })
      .waitFor();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pane-h');
    // The card's first control within a few Tabs (it was past a whole page of rows).
    let reached = '';
    for (let i = 0; i < 6 && reached === ''; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (document.activeElement?.closest('[data-testid="pane"]') ? document.activeElement.tagName : ''));
    }
    expect(reached).not.toBe('');
    // The row's own "To the card" does the same for a pointer or a screen reader's list of buttons.
    await link.focus();
    await row(page, id).getByRole('button', { name: 'Go to the card of Water the plants' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pane-h');

    // A row's Pick up is replaced by its Release: the focus stays on the row, not on the page itself.
    const other = await task('Feed the fish');
    await page.goto(`${h.url}/ui/work?queue=hr`);
    await row(page, other).getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => row(page, other).getByTestId('state').textContent()).toMatch(/^In Progress/);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id') ?? document.activeElement?.tagName))
      .toBe(other);
    await page.close();
  });
});
