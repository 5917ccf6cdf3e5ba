// A builder edits what exists in a real browser: an emptied box clears the stored value (the forms
// left empty boxes out of their PATCH, which keeps what it is not given, and said "Saved"), and an
// existing process saves back (its steps, read with nulls, were refused with 422).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('a builder editing connectors, action types and processes', () => {
  let h: Harness;
  let b: Browser;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    key = await keyWith(h, 'bella', ['builder']);
    expect((await h.api('POST', '/v1/queues', { name: 'hr' })).status).toBe(201);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('clears a connector’s description and concurrency limit by emptying their boxes', async () => {
    const c = await h.api('POST', '/v1/connectors', { name: 'crm', baseUrl: h.mock.url, description: 'old', maxConcurrency: 5 });
    expect(c.status).toBe(201);
    const page = await signedIn(b, h, key, `/ui/connectors/${c.body.id}`);
    await expect.poll(() => page.getByLabel('Most attempts in flight').inputValue()).toBe('5');
    await page.getByLabel('Description').fill('');
    await page.getByLabel('Most attempts in flight').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved crm.' }).waitFor();
    const after = (await h.api('GET', `/v1/connectors/${c.body.id}`)).body;
    expect([after.description, after.maxConcurrency]).toEqual([null, null]);
    await page.close();
  });

  it('sets a connector’s inbound secret: generated in the box, shown until saved, then write-only and said to be set', async () => {
    const page = await signedIn(b, h, key, '/ui/connectors/new');
    await page.getByLabel('Name', { exact: true }).fill('signed-in');
    await page.getByLabel('Base URL').fill(h.mock.url);
    await page.getByRole('button', { name: 'Generate a secret' }).click();
    const box = page.getByLabel('Inbound secret (secret)');
    const secret = await box.inputValue();
    expect([secret, await box.getAttribute('type')]).toEqual([expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), 'text']);
    await page.getByRole('button', { name: 'Create connector' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved signed-in.' }).waitFor();
    const stored = (await h.api('GET', '/v1/connectors/signed-in')).body;
    expect(stored.secretsSet).toContain('inboundSecret');
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    expect((await h.callout.registry.connector(stored.id)).spec.inboundSecret).toBe(secret);
    await expect.poll(() => page.locator('#c-inbound-hint').textContent()).toMatch(/^Set\. Write-only: leave empty to keep it\./);
    expect([await box.inputValue(), await box.getAttribute('type')]).toEqual(['', 'password']);
    await page.close();
  });

  it('clears an action type’s description, queue, completion timeout and output mapping', async () => {
    const t = await h.api('POST', '/v1/action-types', {
      name: 'clear-me',
      connector: 'crm',
      path: '/ok',
      description: 'to be removed',
      completion: { mode: 'callback', timeout: '2h' },
      allocation: { queue: 'hr' },
      response: { output: '{ "ticket": id }' },
    });
    expect(t.status).toBe(201);
    const page = await signedIn(b, h, key, `/ui/action-types/${t.body.id}`);
    await expect.poll(() => page.getByLabel('Queue for To Do').inputValue()).toBe('hr');
    // Shown as it would be typed, not as "7200s".
    expect(await page.getByLabel('Completion timeout').inputValue()).toBe('2h');
    for (const label of ['Description', 'Queue for To Do', 'Completion timeout', 'output'])
      await page.getByLabel(label, { exact: true }).fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved clear-me.' }).waitFor();
    const after = (await h.api('GET', `/v1/action-types/${t.body.id}`)).body;
    expect([
      after.description ?? null,
      after.completion.timeout ?? null,
      after.allocation.queue ?? null,
      after.response.output ?? null,
    ]).toEqual([null, null, null, null]);
    await page.close();
  });

  it('offers the queues in the queue box and says when a name is no queue (another spelling, or none yet), still saving it as typed; a process says it of its steps', async () => {
    const page = await signedIn(b, h, key, '/ui/action-types/new');
    const box = page.getByLabel('Queue for To Do');
    await box.waitFor();
    await expect
      .poll(() => page.locator('#t-queue-names option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)))
      .toEqual(['hr']);
    const hint = page.locator('#t-queue-hint');
    await box.fill('hr');
    expect(await hint.count()).toBe(0);
    await box.fill('HR');
    await expect.poll(() => hint.textContent()).toBe('No queue is named “HR”: queue names are exact. Did you mean “hr”?');
    expect(await box.getAttribute('aria-describedby')).toBe('t-queue-hint');
    await box.fill('service-desk');
    await expect.poll(() => hint.textContent()).toContain('No queue is named “service-desk” yet');
    // A queue created later lists the tasks that carry its name, so the name is saved as typed.
    await page.getByLabel('Name', { exact: true }).fill('to-the-desk');
    await page.getByLabel('Path template').fill('/ok');
    await page.getByRole('button', { name: 'Create action type' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved to-the-desk.' }).waitFor();
    expect((await h.api('GET', '/v1/action-types/to-the-desk')).body.allocation.queue).toBe('service-desk');
    // A process's manual steps, the same way: each name that is no queue is said below the steps.
    await page.goto(`${h.url}/ui/processes/new`);
    const steps = [
      { name: 'a', kind: 'manual', title: 'A', queue: 'hr' },
      { name: 'b', kind: 'manual', title: 'B', queue: 'HR' },
      { name: 'c', kind: 'manual', title: 'C', queue: 'nosuch-queue' },
    ];
    await page.getByLabel('Steps (JSON)').fill(JSON.stringify(steps));
    const notes = page.getByTestId('steps-queues');
    await expect
      .poll(() => notes.locator('li').allTextContents())
      .toEqual([
        'No queue is named “HR”: queue names are exact. Did you mean “hr”?',
        "No queue is named “nosuch-queue” yet: its tasks reach no one's list until a queue with this name is created.",
      ]);
    expect(await page.getByLabel('Steps (JSON)').getAttribute('aria-describedby')).toBe('p-steps-hint p-steps-check p-steps-queues');
    await page.getByLabel('Steps (JSON)').fill(JSON.stringify([steps[0]]));
    await expect.poll(() => notes.count()).toBe(0);
    await page.close();
  });

  it('saves an existing process as it was read, says so, and clears its description', async () => {
    const p = await h.api('POST', '/v1/processes', {
      name: 'onboard',
      description: 'first',
      steps: [
        { name: 'approve', kind: 'manual', title: 'Approve', queue: 'hr' },
        { name: 'ticket', kind: 'external', actionType: 'clear-me', input: '{ "a": 1 }' },
      ],
    });
    expect(p.status).toBe(201);
    const page = await signedIn(b, h, key, '/ui/processes/onboard');
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('first');
    await page.getByLabel('Description').fill('');
    await page.getByRole('button', { name: 'Save process' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved onboard.' }).waitFor();
    expect(await page.getByTestId('field-errors').count()).toBe(0);
    const after = (await h.api('GET', '/v1/processes/onboard')).body;
    expect([after.description, after.revision]).toEqual([null, p.body.revision + 1]);
    expect(after.steps).toEqual(p.body.steps);
    await page.close();
  });

  it('opens a process named "new" from the list (its name is the page that creates one)', async () => {
    const p = await h.api('POST', '/v1/processes', {
      name: 'new',
      description: 'named new',
      steps: [{ name: 'a', kind: 'manual', queue: 'hr' }],
    });
    expect(p.status).toBe(201);
    const page = await signedIn(b, h, key, '/ui/processes');
    await page.getByRole('link', { name: 'new', exact: true }).click();
    await expect.poll(() => page.getByLabel('Description').inputValue()).toBe('named new');
    await page.getByLabel('Description').fill('still new');
    await page.getByRole('button', { name: 'Save process' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved new.' }).waitFor();
    expect((await h.api('GET', '/v1/processes/new')).body).toMatchObject({ description: 'still new', revision: 2 });
    await page.close();
  });
});
