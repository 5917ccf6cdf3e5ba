// A case's queue and its tasks added by hand, on the case page in a real browser: the operator sees
// the case's queue, changes it (an unknown one is refused with the field named) and clears it, and
// adds a task whose queue starts as the case's, straight to a member of another queue.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

describe("a case's queue and Add task on the case page", () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    expect((await h.api('POST', '/v1/users', { name: 'olga', displayName: 'Olga Operator' })).status).toBe(201);
    expect((await h.api('POST', '/v1/queues', { name: 'hr', members: ['olga'] })).status).toBe(201);
    expect((await h.api('POST', '/v1/queues', { name: 'it' })).status).toBe(201);
    const k = await h.api('POST', '/v1/api-keys', { name: 'olga-laptop', roles: ['operator'], user: 'olga' });
    expect(k.status).toBe(201);
    operatorKey = k.body.key;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows and changes the case queue, and adds a task on the case page', async () => {
    const id = (await h.api('POST', '/v1/cases', { title: 'Desk for Jane', queue: 'hr' })).body.id as string;
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${id}`);
    const shown = page.getByTestId('case-queue');
    await expect.poll(() => shown.textContent()).toBe('hr');

    // An unknown queue is refused, naming the field, and the case keeps its queue.
    await page.getByLabel('Change queue').fill('nope');
    await page.getByRole('button', { name: 'Set queue' }).click();
    await expect.poll(() => page.locator('.error').first().textContent()).toContain('queue');
    expect((await h.api('GET', `/v1/cases/${id}`)).body.queue).toBe('hr');

    await page.getByLabel('Change queue').fill('it');
    await page.getByRole('button', { name: 'Set queue' }).click();
    await expect.poll(() => shown.textContent()).toBe('it');
    expect((await h.api('GET', `/v1/cases/${id}`)).body.queue).toBe('it');

    // Add task: the queue starts as the case's; here the operator sends it to hr, straight to Olga.
    await expect.poll(() => page.getByLabel('Queue', { exact: true }).inputValue()).toBe('it');
    await page.getByLabel('Title', { exact: true }).fill('Order the chair');
    await page.getByLabel('Queue', { exact: true }).fill('hr');
    await page.getByLabel('Assignee (optional)').fill('olga');
    await page.getByRole('button', { name: 'Add task' }).click();
    const task = page.locator('section.task', { hasText: 'Order the chair' });
    await task.waitFor();
    const actions = (await h.api('GET', `/v1/actions?caseId=${id}`)).body.items as Array<Record<string, unknown>>;
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ state: 'todo', reason: 'manual', queue: 'hr', assignee: 'olga', actionType: null });
    await expect.poll(() => page.getByLabel('Title', { exact: true }).inputValue()).toBe('');

    // A second task left on the case's queue, as the form offers it.
    await page.getByLabel('Title', { exact: true }).fill('Check the budget');
    await page.getByRole('button', { name: 'Add task' }).click();
    await page.locator('section.task', { hasText: 'Check the budget' }).waitFor();
    const second = ((await h.api('GET', `/v1/actions?caseId=${id}`)).body.items as Array<{ queue: string; input: unknown }>).find((a) =>
      JSON.stringify(a.input).includes('Check the budget'),
    );
    expect(second?.queue).toBe('it');
    await expectAccessible(page, 'case-queue');

    await page.getByRole('button', { name: 'Clear queue' }).click();
    await expect.poll(() => shown.textContent()).toBe('—');
    expect((await h.api('GET', `/v1/cases/${id}`)).body.queue).toBeNull();

    // With no queue on the case, Add task needs one: the form asks for it instead of sending what the
    // API refuses (422, "the case has no queue").
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/tasks')) sent.push(r.url());
    });
    const queueInput = page.locator('#add-task-queue');
    await expect.poll(() => queueInput.evaluate((el) => (el as HTMLInputElement).required)).toBe(true);
    await page.getByLabel('Title', { exact: true }).fill('Nowhere to go');
    await page.getByRole('button', { name: 'Add task' }).click();
    expect(await queueInput.evaluate((el) => (el as HTMLInputElement).validity.valueMissing)).toBe(true);
    await page.waitForTimeout(300);
    expect(sent).toEqual([]);
    expect((await h.api('GET', `/v1/actions?caseId=${id}`)).body.items).toHaveLength(2);
  });
});
