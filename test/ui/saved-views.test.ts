// Saved views in a real browser: an operator saves the work list's filters by name, sees the view's
// live count, opens it, renames and deletes it, sees a colleague's shared view but not their personal
// one, and is told when a name is taken; axe-core on the screen with views.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('saved views on the work and cases screens', () => {
  let h: Harness;
  let b: Browser;
  const keys: Record<string, string> = {};
  const as = (who: string): Record<string, string> => ({ authorization: `Bearer ${keys[who]}` });
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    for (const u of ['olga', 'pete']) {
      await h.api('POST', '/v1/users', { name: u });
      keys[u] = (await h.api('POST', '/v1/api-keys', { name: `${u}-key`, roles: ['operator'], user: u })).body.key;
    }
    await h.api('POST', '/v1/queues', { name: 'desk', members: ['olga', 'pete'] });
    await h.api('POST', '/v1/processes', { name: 'two-tasks', steps: [{ name: 'a', kind: 'manual', queue: 'desk' }] });
    for (let i = 0; i < 3; i++) await h.api('POST', '/v1/cases', { process: 'two-tasks', title: `Case ${i}` });
    expect(
      (await h.api('POST', '/v1/views', { name: 'Pete shares', screen: 'work', query: 'state=todo', shared: true }, as('pete'))).status,
    ).toBe(201);
    expect((await h.api('POST', '/v1/views', { name: 'Pete alone', screen: 'work', query: 'state=closed' }, as('pete'))).status).toBe(201);
    expect(
      (await h.api('POST', '/v1/views', { name: 'Open cases', screen: 'cases', query: 'status=open', shared: true }, as('pete'))).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('saves the filters as a view with its live count, opens it, renames and deletes it', async () => {
    const page = await signedIn(b, h, keys.olga!, '/ui/work?state=todo&queue=desk');
    const views = page.locator('.saved-views');
    // A colleague's shared view is there, marked as theirs; their personal one is not.
    await views.getByRole('link', { name: /^Pete shares/ }).waitFor();
    expect(await views.locator('li[data-view="Pete shares"]').textContent()).toContain('shared by pete');
    expect(await views.getByText('Pete alone').count()).toBe(0);
    // Olga may not rename or delete Pete's view: not offered.
    expect(await views.getByRole('button', { name: 'Delete Pete shares' }).count()).toBe(0);

    // Saved from the keyboard: the name typed, Enter.
    await page.getByLabel('Save these filters as').fill('Desk to do');
    await page.getByLabel('Save these filters as').press('Enter');
    const mine = views.locator('li[data-view="Desk to do"]');
    await expect.poll(() => mine.getByTestId('view-count').textContent()).toBe('3');
    // It is the view shown now.
    expect(await mine.getByRole('link').getAttribute('aria-current')).toBe('true');
    await expectAccessible(page, 'work-with-views');

    // The same name again is refused, and said so.
    await page.getByLabel('Save these filters as').fill('desk to do');
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect.poll(() => views.getByRole('alert').textContent()).toContain('already have a view named');

    // The count follows the work: a task closed elsewhere leaves it.
    const todo = (await h.api('GET', '/v1/actions?state=todo&queue=desk')).body.items as Array<{ id: string }>;
    expect((await h.api('POST', `/v1/actions/${todo[0]!.id}/complete`, {}, as('pete'))).status).toBe(200);
    await expect.poll(() => mine.getByTestId('view-count').textContent(), { timeout: 15_000 }).toBe('2');

    // Opening it from another view brings its filters back.
    await page.getByRole('link', { name: 'Everyone' }).click();
    await views.getByRole('link', { name: /^Pete shares/ }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?state=todo');
    // The search box shows the view's words in the render that shows its filters, not a frame later
    // (read a task's turn after the click: the render is done, a paint need not be).
    const shown = await mine.getByRole('link').evaluate(async (a: HTMLElement) => {
      a.click();
      await new Promise((r) => setTimeout(r, 0));
      return [location.search, (document.getElementById('q') as HTMLInputElement).value];
    });
    expect(shown).toEqual(['?state=todo&queue=desk', 'state:todo queue:desk']);

    await mine.getByRole('button', { name: 'Rename Desk to do' }).click();
    await page.getByLabel('New name of Desk to do').fill('Desk, open');
    await page.getByLabel('New name of Desk to do').press('Enter');
    const renamed = views.locator('li[data-view="Desk, open"]');
    await renamed.getByRole('link').waitFor();
    await renamed.getByRole('button', { name: 'Delete Desk, open' }).click();
    await renamed.waitFor({ state: 'detached' });
    const left = (await h.api('GET', '/v1/views', undefined, as('olga'))).body.items as Array<{ name: string }>;
    expect(left.map((v) => v.name).sort()).toEqual(['Open cases', 'Pete shares']);
    await page.close();
  });

  it('a view saved while a card is open beside the list keeps the filters, not the card', async () => {
    const todo = (await h.api('GET', '/v1/actions?state=todo&queue=desk')).body.items as Array<{ id: string }>;
    const page = await signedIn(b, h, keys.olga!, `/ui/work?state=todo&queue=desk&selected=${todo[0]!.id}`);
    await page.getByTestId('pane').waitFor();
    await page.getByLabel('Save these filters as').fill('Desk with a card');
    await page.getByRole('button', { name: 'Save view' }).click();
    const saved = page.locator('.saved-views li[data-view="Desk with a card"]');
    await saved.getByRole('link').waitFor();
    // The view is the one shown, and opens the list without the card that was open when it was saved.
    expect(await saved.getByRole('link').getAttribute('aria-current')).toBe('true');
    expect(await saved.getByRole('link').getAttribute('href')).toBe('/ui/work?state=todo&queue=desk');
    await page.close();
  });

  it('the cases screen has its own views, shared ones counted', async () => {
    const page = await signedIn(b, h, keys.olga!, '/ui/cases');
    const views = page.locator('.saved-views');
    // Three cases, one closed with its only task in the test before.
    await expect.poll(() => views.locator('li[data-view="Open cases"]').getByTestId('view-count').textContent()).toBe('2');
    expect(await views.getByText('Pete shares').count()).toBe(0);
    // Opened, the view's search is in the fields in the render that shows it (read a task's turn after the click).
    const shown = await views
      .locator('li[data-view="Open cases"]')
      .getByRole('link')
      .evaluate(async (a: HTMLElement) => {
        a.click();
        await new Promise((r) => setTimeout(r, 0));
        return [location.search, (document.getElementById('case-status') as HTMLSelectElement).value];
      });
    expect(shown).toEqual(['?status=open', 'open']);
    await page.getByLabel('Status').selectOption('open');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?status=open');
    await page.getByLabel('Save these filters as').fill('Mine too');
    await page.getByLabel('Shared with everyone').check();
    await page.getByRole('button', { name: 'Save view' }).click();
    await views.locator('li[data-view="Mine too"]').getByText('shared', { exact: true }).waitFor();
    await expectAccessible(page, 'cases-with-views');
    await page.close();
  });
});
