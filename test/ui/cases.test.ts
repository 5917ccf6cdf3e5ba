// Cases, processes, queues and users in a real browser: a case moves through a process on screen
// (a manual task the operator picks up, notes and completes, then an external step against the
// mock), axe-core on the new screens, and an operator is not offered the builders.
// With CALLOUT_SCREENSHOTS=1 the axe walk also writes the README's screenshots.

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

describe('cases and the builder of processes, queues and users', () => {
  let h: Harness;
  let b: Browser;
  let operatorKey: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    await connector(h);
    await actionType(h, { name: 'order-laptop', path: '/ok', body: { format: 'json', template: '{"model": "{{ Model }}"}' } });
    expect((await h.api('POST', '/v1/users', { name: 'olga', displayName: 'Olga Operator' })).status).toBe(201);
    expect((await h.api('POST', '/v1/queues', { name: 'service-desk', members: ['olga'] })).status).toBe(201);
    const k = await h.api('POST', '/v1/api-keys', { name: 'olga-laptop', roles: ['operator'], user: 'olga' });
    expect(k.status).toBe(201);
    operatorKey = k.body.key;
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('a case moves through a process on screen', async () => {
    // A builder writes the process in the UI; a step with a mistake is refused with the field named.
    const builder = await signedIn(b, h, h.adminKey, '/ui/processes/new');
    await builder.getByLabel('Name', { exact: true }).fill('new-starter');
    const steps = builder.getByLabel('Steps (JSON)');
    await steps.fill('[{ "name": "approve", "kind": "manual" ');
    await expect.poll(() => builder.getByTestId('steps-check').textContent()).toMatch(/^Not JSON yet/);
    await steps.fill(JSON.stringify([{ name: 'approve', kind: 'manual', title: 'Approve the laptop', queue: '' }]));
    await builder.getByRole('button', { name: 'Create process' }).click();
    await expect.poll(() => builder.getByTestId('field-errors').textContent()).toContain('queue');
    expect((await h.api('GET', '/v1/processes')).body.items).toHaveLength(0);
    await steps.fill(
      JSON.stringify([
        { name: 'approve', kind: 'manual', title: 'Approve the laptop', queue: 'service-desk' },
        { name: 'order', kind: 'external', actionType: 'order-laptop', input: "{ 'Model': case.model }" },
      ]),
    );
    await builder.getByRole('button', { name: 'Create process' }).click();
    await builder.getByRole('heading', { name: 'Process new-starter' }).waitFor();
    await builder.close();

    const created = await h.api('POST', '/v1/cases', { process: 'new-starter', title: 'Laptop for Jane', data: { model: 'X1' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // The operator finds the case by searching, and sees who they are signed in as.
    const page = await signedIn(b, h, operatorKey, '/ui/cases');
    expect(await page.getByTestId('who').textContent()).toBe('Olga Operator');
    await page.getByLabel('Process').fill('new-starter');
    await page.getByLabel('Status').selectOption('open');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Laptop for Jane' }).click();
    await page.getByRole('heading', { name: /Laptop for Jane/ }).waitFor();

    const status = (step: string) => page.locator(`tr[data-step="${step}"]`).getByTestId('step-status').textContent();
    await expect.poll(() => status('approve')).toBe('Waiting for a person');
    expect(await status('order')).toBe('Pending');
    expect(await page.getByTestId('case-status').textContent()).toBe('Open');

    const task = page.locator('section.task');
    // A manual step's task is named by the step's title, not "Manual task".
    expect(await task.getByRole('heading').textContent()).toContain('Approve the laptop');
    await task.getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => task.getByTestId('state').textContent()).toMatch(/^In Progress/);
    await task.getByLabel('Note').fill('Checked with the manager');
    await task.getByRole('button', { name: 'Add note' }).click();
    await page.locator('ul.notes li', { hasText: 'Checked with the manager' }).waitFor();
    expect(await page.locator('ul.notes li').first().textContent()).toContain('olga');
    // Complete asks which resolution (Done Successfully chosen) before it closes anything.
    await task.getByRole('button', { name: 'Complete…' }).click();
    expect((await h.api('GET', `/v1/cases/${id}`)).body.status).not.toBe('closed');
    await task.getByRole('button', { name: 'Complete', exact: true }).click();

    // No reload: the manual step turns done, the external step runs against the mock, the case closes.
    await expect.poll(() => status('approve'), { timeout: 10_000 }).toBe('Done');
    await expect.poll(() => status('order'), { timeout: 10_000 }).toBe('Done');
    // The outcome in words, its SPEC code kept as the title.
    const outcome = page.locator('tr[data-step="order"]').getByTestId('step-outcome').locator('abbr');
    await expect.poll(() => outcome.textContent()).toBe('Handled successfully');
    expect(await outcome.getAttribute('title')).toBe('ACTION_HANDLED_SUCCESSFUL');
    await expect.poll(() => page.getByTestId('case-status').textContent(), { timeout: 10_000 }).toBe('Closed');
    expect(await page.locator('section.task').count()).toBe(0);
    const c = (await h.api('GET', `/v1/cases/${id}`)).body;
    expect(c.status).toBe('closed');
    const order = c.steps.find((s: { name: string }) => s.name === 'order').actionId as string;
    expect(h.mock.log.filter((e) => e.key === order)).toHaveLength(1);
    const manual = c.steps.find((s: { name: string }) => s.name === 'approve').actionId as string;
    const timeline = (await h.api('GET', `/v1/actions/${manual}/timeline`)).body.items as Array<{ kind: string; actor: string }>;
    const byOlga = timeline.filter((t) => t.actor === 'user:olga').map((t) => t.kind);
    // Picked up, noted and closed, each in Olga's name (the key acts as her).
    expect(byOlga).toEqual(expect.arrayContaining(['picked_up', 'message', 'state_changed']));
    expect((await h.api('GET', `/v1/actions/${manual}`)).body).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
  });

  it('reassigns a task and lists mine and unassigned on the work list; notifications are marked read', async () => {
    const c = await h.api('POST', '/v1/cases', { process: 'new-starter', title: 'Laptop for Raj', data: { model: 'T14' } });
    const page = await signedIn(b, h, operatorKey, `/ui/cases/${c.body.id}`);
    const task = page.locator('section.task');
    await task.getByLabel('Assignee').fill('me');
    await task.getByRole('button', { name: 'Reassign' }).click();
    await expect.poll(() => task.locator('.why').textContent()).toContain('olga');
    await page.goto(`${h.url}/ui/work?assignee=me`);
    await page.locator('table.actions tbody tr').first().waitFor();
    // Hers: this task and the first case's task she completed.
    const mine = (await h.api('GET', '/v1/actions?assignee=olga')).body.items as Array<{ id: string }>;
    expect(mine).toHaveLength(2);
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(2);
    expect(await page.locator('table.actions tbody tr', { hasText: 'Approve the laptop' }).count()).toBe(2);
    await page.getByRole('link', { name: 'Unassigned' }).click();
    await page.waitForURL(/unassigned=true/);
    // The only other actions are the closed manual and external steps of the first case's run.
    const unassigned = (await h.api('GET', '/v1/actions?unassigned=true')).body.items as Array<{ assignee: string | null }>;
    expect(unassigned.every((a) => a.assignee === null)).toBe(true);
    // Polled: the list of mine stays on screen until the unassigned one replaces it.
    await expect.poll(() => page.locator('table.actions tbody tr').count()).toBe(unassigned.length);

    // An escalation on a case Olga owns notifies her; she marks it read on screen.
    await actionType(h, { name: 'order-desk', path: '/status/503', retry: { maxRetries: 0 } });
    const owned = (await h.api('POST', '/v1/cases', { title: 'Desk for Raj', owner: 'olga' })).body.id as string;
    const escalating = (await h.api('POST', '/v1/actions', { actionType: 'order-desk', caseId: owned })).body.id as string;
    await h.waitFor(escalating, (a) => a.escalated);
    const asOlga = { authorization: `Bearer ${operatorKey}` };
    await expect.poll(async () => (await h.api('GET', '/v1/notifications?unread=true', undefined, asOlga)).body.items.length).toBe(1);
    await page.goto(`${h.url}/ui/notifications`);
    // In words: what happened and why, the action and case linked (the kind's code and the action's id were shown).
    const notice = page.locator('.timeline li').first();
    await expect.poll(() => notice.locator('strong').textContent()).toBe('Escalated');
    expect(await notice.textContent()).toContain('An action closed Not Done Successfully: HTTP 503');
    expect(await notice.textContent()).not.toContain(escalating);
    await page.getByRole('button', { name: 'Mark read' }).click();
    await page.locator('.timeline li .muted', { hasText: 'read' }).waitFor();
    expect((await h.api('GET', '/v1/notifications?unread=true', undefined, asOlga)).body.items).toHaveLength(0);
    // Several at once: Mark all read (on a connector of their own, so vendor's circuit stays closed).
    await connector(h, { name: 'desk-vendor', circuitBreaker: false });
    await actionType(h, { name: 'order-chair', connector: 'desk-vendor', path: '/status/503', retry: { maxRetries: 0 } });
    for (let i = 0; i < 2; i++)
      await h.waitFor((await h.api('POST', '/v1/actions', { actionType: 'order-chair', caseId: owned })).body.id, (a) => a.escalated);
    await page.reload();
    await page.getByRole('button', { name: 'Mark all 2 read' }).click();
    await expect.poll(async () => (await h.api('GET', '/v1/notifications?unread=true', undefined, asOlga)).body.items.length).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Mark read' }).count()).toBe(0);

    // The cases that need attention now: Desk for Raj is escalated, Laptop for Jane is not.
    await page.goto(`${h.url}/ui/cases`);
    await page.getByLabel('Escalated').selectOption('true');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/escalated=true/);
    await page.getByRole('link', { name: 'Desk for Raj' }).waitFor();
    // Polled: the unfiltered list stays on screen until the filtered one replaces it.
    await expect.poll(() => page.getByRole('link', { name: 'Laptop for Jane' }).count()).toBe(0);
    await page.getByLabel('Escalated').selectOption('false');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Laptop for Jane' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'Desk for Raj' }).count()).toBe(0);
  });

  it("a case's task another person is working on offers Take over, then Complete, in the task panel", async () => {
    expect((await h.api('POST', '/v1/users', { name: 'pete' })).status).toBe(201);
    const pete = {
      authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name: 'pete-laptop', roles: ['operator'], user: 'pete' })).body.key}`,
    };
    const c = await h.api('POST', '/v1/cases', { process: 'new-starter', title: 'Laptop for Ann', data: { model: 'T14' } });
    await expect.poll(async () => (await h.api('GET', `/v1/cases/${c.body.id}`)).body.steps[0].actionId).toBeTruthy();
    const taskId = (await h.api('GET', `/v1/cases/${c.body.id}`)).body.steps[0].actionId as string;
    expect((await h.api('POST', `/v1/actions/${taskId}/pick-up`, undefined, pete)).body.assignee).toBe('pete');

    const page = await signedIn(b, h, operatorKey, `/ui/cases/${c.body.id}`);
    const task = page.locator('section.task');
    await task.getByRole('button', { name: 'Take over from pete' }).click();
    await task.getByRole('button', { name: 'Complete…' }).click();
    expect((await h.api('GET', `/v1/actions/${taskId}`)).body.state).toBe('in_progress');
    await task.getByLabel('Not Done Successfully').check();
    await task.getByRole('textbox', { name: 'Note' }).last().fill('No budget this quarter');
    await task.getByRole('button', { name: 'Complete', exact: true }).click();
    await expect.poll(async () => (await h.api('GET', `/v1/actions/${taskId}`)).body.state).toBe('closed');
    expect((await h.api('GET', `/v1/actions/${taskId}`)).body.resolution).toBe('not_done_successfully');
    const items = (await h.api('GET', `/v1/actions/${taskId}/timeline`)).body.items as Array<{ kind: string; message: string }>;
    expect(items.find((e) => e.kind === 'assigned')!.message).toContain('by olga (taken from pete)');
  });

  it('has no serious or critical axe violations on the new screens', async () => {
    const page = await signedIn(b, h, h.adminKey);
    const c = (await h.api('POST', '/v1/cases', { process: 'new-starter', title: 'Laptop for Ada', data: { model: 'X13' } })).body as {
      id: string;
    };
    const screens: Array<[string, string, string]> = [
      ['cases', '/ui/cases', 'table.cases tbody tr'],
      ['case-steps', `/ui/cases/${c.id}`, 'section.task'],
      ['processes', '/ui/processes', 'tbody tr'],
      ['process', '/ui/processes/new-starter', 'textarea'],
      ['queues', '/ui/queues', 'tr[data-queue="service-desk"]'],
      ['users', '/ui/users', 'tr[data-user="olga"]'],
      ['work-mine', '/ui/work?unassigned=true', 'nav[aria-label="Whose work"]'],
    ];
    for (const [name, path, ready] of screens) {
      await page.goto(`${h.url}${path}`);
      await page.locator(ready).first().waitFor();
      await check(page, name);
    }
  });

  it('an operator is not offered the process, queue and user builders, and the server refuses them anyway', async () => {
    const page = await signedIn(b, h, operatorKey);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Work',
      'Cases',
      'Dashboard',
      'Notifications',
      'Bulk replay',
      'Schedules',
    ]);
    for (const path of ['/ui/processes/new', '/ui/queues', '/ui/users']) {
      await page.goto(`${h.url}${path}`);
      await page.getByRole('heading', { name: 'Not available' }).waitFor();
      expect(await page.locator('textarea, form.form').count()).toBe(0);
    }
    const statuses = await page.evaluate(async () => {
      const s = (await (await fetch('/ui/session')).json()) as { csrf: string };
      const post = (path: string, body: unknown) =>
        fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-callout-csrf': s.csrf },
          body: JSON.stringify(body),
        }).then((r) => r.status);
      return [
        await post('/v1/processes', { name: 'sneaky', steps: [{ name: 'a', kind: 'manual', queue: 'service-desk' }] }),
        await post('/v1/queues', { name: 'sneaky' }),
        await post('/v1/users', { name: 'sneaky' }),
      ];
    });
    expect(statuses).toEqual([403, 403, 403]);
  });
});
