// The schedules screen in a real browser: a builder creates a schedule and sees its next run, changes
// it (If-Match: a change someone else saved meanwhile is refused with 412 and the page offers to read
// theirs), sees the API's 422 beside the field it names, pauses it and deletes it; an operator reads
// the list with nothing to press. axe on each screen.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

// Once a year (1 January, 03:00 UTC), so no run moves the next one while the test looks.
const YEARLY = '0 3 1 1 *';

describe('the schedules screen', () => {
  let h: Harness;
  let b: Browser;
  let builder: string;
  let operator: string;
  let typeId: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h);
    typeId = await actionType(h, { name: 'vendor-check', path: '/ok' });
    builder = await keyWith(h, 'bella', ['builder']);
    operator = await keyWith(h, 'otto', ['operator']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  const schedules = async (): Promise<Array<Record<string, any>>> => (await h.api('GET', '/v1/schedules')).body.items;

  it('creates a schedule shown with its next run, edits it, refuses a stale edit with 412, and deletes it', async () => {
    const page = await signedIn(b, h, builder, '/ui/work');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('heading', { name: 'New schedule' }).waitFor();
    const form = page.getByTestId('schedule-form');

    // A 422 from the API is shown beside the field it names, and nothing is created.
    await form.getByLabel('Name').fill('yearly-check');
    await form.getByLabel('Cron').fill('every night');
    await form.getByLabel('Time zone').fill('UTC');
    await form.getByLabel('Action type').selectOption({ label: 'vendor-check' });
    await form.getByRole('button', { name: 'Create schedule' }).click();
    const cronError = form.locator('#ns-cron-error');
    await expect.poll(() => cronError.textContent()).toContain('Cron is not a valid cron pattern');
    expect(await form.getByLabel('Cron').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Cron').getAttribute('aria-describedby')).toContain('ns-cron-error');
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBeNull();
    expect(await schedules()).toEqual([]);
    await expectAccessible(page, 'schedules-422');

    // Created: listed with what it launches and its next run, local time shown, the ISO time in the title.
    await form.getByLabel('Cron').fill(YEARLY);
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByRole('status').filter({ hasText: 'Created yearly-check.' }).waitFor();
    const [s] = await schedules();
    expect(s).toMatchObject({ name: 'yearly-check', cron: YEARLY, timezone: 'UTC', launch: { actionType: typeId }, paused: false });
    const row = page.locator(`tr[data-id="${s!.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Action: vendor-check');
    const next = row.getByTestId('next-run').locator('time');
    expect(await next.getAttribute('datetime')).toBe(s!.nextRunAt);
    expect(await next.getAttribute('title')).toContain(s!.nextRunAt);
    expect(await row.getByTestId('schedule-status').textContent()).toBe('Enabled');
    expect(await form.locator('#ns-cron-error').count()).toBe(0);
    await expectAccessible(page, 'schedules');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'schedules-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Pause and resume from the list.
    await row.getByRole('button', { name: 'Pause yearly-check' }).click();
    await expect.poll(() => row.getByTestId('schedule-status').textContent()).toBe('Paused');
    expect((await schedules())[0]).toMatchObject({ paused: true, nextRunAt: null });
    await row.getByRole('button', { name: 'Resume yearly-check' }).click();
    await expect.poll(() => row.getByTestId('schedule-status').textContent()).toBe('Enabled');

    // Edited on its own page, with the tag it was read at.
    await row.getByRole('link', { name: 'yearly-check' }).click();
    await page.getByRole('heading', { name: 'Schedule yearly-check' }).waitFor();
    const ifMatch: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') ifMatch.push(r.headers()['if-match'] ?? 'none');
    });
    expect(page.url()).toBe(`${h.url}/ui/schedules/${s!.id}`);
    const edit = page.getByTestId('schedule-form');
    await edit.getByLabel('Cron').fill('30 4 1 1 *');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved yearly-check.' }).waitFor();
    const edited = (await h.api('GET', `/v1/schedules/${s!.id}`)).body;
    expect(edited).toMatchObject({ cron: '30 4 1 1 *' });
    expect(await page.getByTestId('next-run').locator('time').getAttribute('datetime')).toBe(edited.nextRunAt);
    await expectAccessible(page, 'schedule');

    // Someone else changes it while the page is open: the page's next save is refused, nothing changes.
    expect((await h.api('PATCH', `/v1/schedules/${s!.id}`, { name: 'renamed-by-alice' })).status).toBe(200);
    await edit.getByLabel('Cron').fill('0 5 1 1 *');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Someone else saved this since you opened it' }).waitFor();
    expect((await h.api('GET', `/v1/schedules/${s!.id}`)).body).toMatchObject({ name: 'renamed-by-alice', cron: '30 4 1 1 *' });
    // Each save sent the tag of what the page had read (paused and resumed: the settings, and tag, as created).
    expect(ifMatch).toEqual([s!.etag, edited.etag]);

    // Offered to reload: the form shows their change, and a save on it is made.
    await edit.getByRole('button', { name: 'Reload the schedule' }).click();
    await expect.poll(() => edit.getByLabel('Name').inputValue()).toBe('renamed-by-alice');
    expect(await edit.getByLabel('Cron').inputValue()).toBe('30 4 1 1 *');
    await edit.getByLabel('Cron').fill('0 5 1 1 *');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved renamed-by-alice.' }).waitFor();
    expect((await h.api('GET', `/v1/schedules/${s!.id}`)).body).toMatchObject({ name: 'renamed-by-alice', cron: '0 5 1 1 *' });

    // A delete of what someone changed since the page read it is refused (412) and deletes nothing; the
    // page reads it again, so their change shows and a second Delete is of that.
    expect((await h.api('PATCH', `/v1/schedules/${s!.id}`, { cron: '0 6 1 1 *' })).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete renamed-by-alice' }).click();
    await page.getByRole('alert').filter({ hasText: 'it now shows as they left it. Delete again to delete it as it is.' }).waitFor();
    await expect.poll(() => edit.getByLabel('Cron').inputValue()).toBe('0 6 1 1 *');
    expect((await h.api('GET', `/v1/schedules/${s!.id}`)).status).toBe(200);

    // Deleted after confirming: back on the list, gone.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete renamed-by-alice' }).click();
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
    await page.getByText('No schedules yet.').waitFor();
    expect((await h.api('GET', `/v1/schedules/${s!.id}`)).status).toBe(404);
    await page.close();
  });

  it('shows an operator the schedules read-only', async () => {
    const created = await h.api('POST', '/v1/schedules', {
      name: 'ops-read',
      cron: YEARLY,
      launch: { actionType: 'vendor-check' },
    });
    expect(created.status).toBe(201);
    const page = await signedIn(b, h, operator, '/ui/schedules');
    const row = page.locator(`tr[data-id="${created.body.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Action: vendor-check');
    expect(
      await page
        .getByRole('button')
        .filter({ hasText: /Pause|Resume/ })
        .count(),
    ).toBe(0);
    expect(await page.getByRole('heading', { name: 'New schedule' }).count()).toBe(0);
    expect(await page.getByTestId('schedule-form').count()).toBe(0);
    await expectAccessible(page, 'schedules-operator');

    await row.getByRole('link', { name: 'ops-read' }).click();
    await page.getByRole('heading', { name: 'Schedule ops-read' }).waitFor();
    await page.getByText('It has not run yet.').waitFor();
    expect(await page.getByTestId('schedule-form').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    await expectAccessible(page, 'schedule-operator');
    await page.close();
  });
});
