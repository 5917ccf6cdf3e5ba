// The bulk replay screen in a real browser, on real actions the mock system rejects: the work list's
// filter carried into the form, a preview that counts and samples, a run (double-clicked) that retries
// exactly the filtered actions once, a failed preview shown as an error, and no screen for a builder.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('bulk replay screen', () => {
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

  const retries = async (id: string): Promise<number> =>
    (await h.api('GET', `/v1/actions/${id}/timeline?kind=retry_requested`)).body.items.length;

  it('retries exactly the filtered failed actions, once for a double click, from the work list', async () => {
    await connector(h);
    await actionType(h, { name: 'create-ticket', path: '/reject', retry: { maxRetries: 0 } });
    await actionType(h, { name: 'send-letter', path: '/status/500', retry: { maxRetries: 0 } });
    const tickets = await Promise.all([1, 2, 3].map(() => launch(h, 'create-ticket')));
    const letter = await launch(h, 'send-letter');
    for (const a of tickets) await h.waitFor(a.id, (x) => x.state === 'todo');
    await h.waitFor(letter.id, (x) => x.state !== 'waiting');

    const page = await signedIn(b, h, h.adminKey, '/ui/work?state=todo&actionType=create-ticket');
    await page.getByRole('link', { name: 'Retry these…' }).click();
    await page.waitForURL(/\/ui\/replays\?/);
    expect(new URL(page.url()).searchParams.get('actionType')).toBe('create-ticket');
    expect(new URL(page.url()).searchParams.get('state')).toBe('todo');
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toBe('3 actions');
    for (const a of tickets) expect(await page.locator(`[data-testid=preview] a[href="/ui/actions/${a.id}"]`).count()).toBe(1);
    expect(await page.locator(`a[href="/ui/actions/${letter.id}"]`).count()).toBe(0);
    expect(await page.getByTestId('preview').textContent()).toContain('create-ticket');
    await expectAccessible(page, 'replay-preview');

    const runs: Array<string | undefined> = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/bulk-replays') && r.postDataJSON()?.dryRun === false) runs.push(r.headers()['idempotency-key']);
    });
    // The buttons that open and close the confirmation replace each other: the focus follows them.
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent ?? 'none');
    await page.getByRole('button', { name: 'Run…' }).click();
    await expect.poll(focusedText).toBe('Retry 3 actions');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(focusedText).toBe('Run…');
    await page.keyboard.press('Enter');
    await expect.poll(focusedText).toBe('Retry 3 actions');
    await page.getByRole('button', { name: 'Retry 3 actions' }).dblclick();
    await expect.poll(() => page.getByTestId('report-done').textContent()).toBe('Retried 3 actions');
    // Run, the pressed button disabled: the focus is on the run's heading, where its report is.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('run-h');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^ui-replay-/);
    for (const a of tickets) {
      await h.waitFor(a.id, (x) => x.state === 'todo' && x.attempts === 2);
      expect(await retries(a.id)).toBe(1);
    }
    expect(await retries(letter.id)).toBe(0);
    await expectAccessible(page, 'replay-report');
  });

  it('closes the filtered To Do actions as chosen, with the note on each timeline', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/work?state=todo&actionType=create-ticket');
    await page.getByRole('link', { name: 'Close these…' }).click();
    await page.waitForURL(/operation=close/);
    // No preview until they say how the actions close.
    await page.getByText('how they close').waitFor();
    await page.getByLabel('Close as').selectOption('not_done_successfully');
    await page.getByLabel('Note').fill('Cost centres fixed by hand');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toBe('3 actions');
    expect(new URL(page.url()).searchParams.get('closeAs')).toBe('not_done_successfully');
    await page.getByRole('button', { name: 'Run…' }).click();
    await page.getByRole('button', { name: 'Close 3 actions' }).click();
    await expect.poll(() => page.getByTestId('report-done').textContent()).toBe('Closed 3 actions');
    const closed = (await h.api('GET', '/v1/actions?actionType=create-ticket')).body.items as Array<{ id: string; resolution: string }>;
    expect(closed.map((a) => a.resolution)).toEqual(['not_done_successfully', 'not_done_successfully', 'not_done_successfully']);
    const notes = (await h.api('GET', `/v1/actions/${closed[0]!.id}/timeline`)).body.items as Array<{ message: string }>;
    expect(notes.some((e) => e.message.includes('Cost centres fixed by hand'))).toBe(true);
  });

  it('shows a failed preview as an error, not as 0 actions, and offers no Run', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/replays?actionType=no-such-type&operation=retry');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('no action type "no-such-type" exists');
    expect(await page.getByTestId('preview-count').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run…' }).count()).toBe(0);
    await expectAccessible(page, 'replay-error');
  });

  it('confirms the previewed count and time, and leaves alone an action that started matching after the preview', async () => {
    await actionType(h, { name: 'file-claim', path: '/reject', retry: { maxRetries: 0 } });
    const claims = await Promise.all([1, 2].map(() => launch(h, 'file-claim')));
    for (const a of claims) await h.waitFor(a.id, (x) => x.state === 'todo');
    const page = await signedIn(b, h, h.adminKey, '/ui/replays?actionType=file-claim&state=todo&operation=retry');
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toBe('2 actions');
    const sent: Array<Record<string, unknown>> = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/bulk-replays')) sent.push(r.postDataJSON() as Record<string, unknown>);
    });
    await page.getByRole('button', { name: 'Run…' }).click();
    const confirm = page.locator('#confirm-h');
    await expect.poll(() => confirm.textContent()).toMatch(/^Retry 2 actions, as previewed at \S.*\? Actions that started matching since/);
    expect(await confirm.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // A third claim fails after the preview: it matches the filter now, but the person never saw it.
    const late = await launch(h, 'file-claim');
    await h.waitFor(late.id, (x) => x.state === 'todo');
    await page.getByRole('button', { name: 'Retry 2 actions' }).click();
    await expect.poll(() => page.getByTestId('report-done').textContent()).toBe('Retried 2 actions');
    expect(sent).toEqual([expect.objectContaining({ dryRun: false, selection: expect.any(String) })]);
    for (const a of claims) expect(await retries(a.id)).toBe(1);
    expect(await retries(late.id)).toBe(0);
    await expectAccessible(page, 'replay-confirm-report');
  });

  it('is not offered to a builder, whom the route refuses', async () => {
    const key = await keyWith(h, 'builder-only', ['builder']);
    const page = await signedIn(b, h, key, '/ui/work?state=closed&actionType=create-ticket');
    await page.locator('table.actions').waitFor();
    expect(await page.getByRole('link', { name: 'Bulk replay' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Retry these…' }).count()).toBe(0);
    await page.goto(`${h.url}/ui/replays?actionType=create-ticket`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Not available');
    expect(await page.getByRole('button', { name: 'Run…' }).count()).toBe(0);
  });
});
