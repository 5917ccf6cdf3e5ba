// A solution handed back by an integrated queue's provider, in a real browser (SPEC 7): a case's
// manual step on the queue goes to the mock provider (src/mock/provider.ts, silent: the test answers
// for it through the token it received), which hands it back with a solution. The action card and
// the case page show what the provider said, as text; Decline asks for a reason (the API's error
// when none is given, and nothing changes), then the provider gets the Resolution Rejection and the
// page shows the task with the provider again; Accept completes the task (the provider is told it
// closed). Buttons follow the server's rules: another person's task In Progress is not offered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

const fields = {
  TaskId: { type: 'string' },
  Title: { type: 'string' },
  Note: { type: 'string', required: false },
  ExternalReference: { type: 'string', required: false },
  CaseData: { type: 'json', required: false },
};

// Markup the page must show as text, line breaks to keep, and a word longer than any screen.
/** Waits for `f` to give something truthy (expect.poll is for tests, not their setup). */
async function until<T>(f: () => T | Promise<T>, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SOLUTION = `Cleaned the rollers.\n<img src=x onerror="window.__injected=1"> <b>not bold</b>\n${'x'.repeat(400)}`;

describe('a handed-back solution on the operator screens', () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let bert: string;
  let caseId: string;
  let id: string;
  let callbackUrl: string;
  const provider = (path: string) => h.mock.log.filter((e) => e.path === path);
  const logOf = async (): Promise<Array<{ requestType: string }>> => (await h.api('GET', `/v1/actions/${id}/integration-log`)).body.items;
  /** The provider answering on the token it was given with its submission (no key: the token is the authority). */
  const fromProvider = async (path: string, body: unknown): Promise<void> => {
    const r = await h.api('POST', `${callbackUrl.slice(h.url.length)}/${path}`, body, { authorization: '' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  beforeAll(async () => {
    h = await startHarness({ mock: { keepBodies: true } });
    b = await launchBrowser();
    for (const name of ['olga', 'bert']) expect((await h.api('POST', '/v1/users', { name })).status).toBe(201);
    olga = await keyWith(h, 'olga-laptop', ['operator'], 'olga');
    bert = await keyWith(h, 'bert-laptop', ['operator'], 'bert');
    await connector(h, { name: 'provider' });
    const type = (name: string, path: string, template: string) =>
      actionType(h, { name, connector: 'provider', path, fields, body: { format: 'json', template } });
    await type('prv-submit', '/provider/submit', '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}');
    await type('prv-close', '/provider/close', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
    await type('prv-reject', '/provider/reject', '{"ref": "{{ ExternalReference }}", "note": "{{ Note }}"}');
    const integration = { connector: 'provider', onAssign: 'prv-submit', onClose: 'prv-close', onResolutionRejected: 'prv-reject' };
    const q = await h.api('POST', '/v1/queues', { name: 'vendor-desk', members: ['olga'], allocation: 'round_robin', integration });
    expect(q.status, JSON.stringify(q.body)).toBe(201);
    const steps = [{ name: 'fix', kind: 'manual', title: 'Fix the printer', queue: 'vendor-desk' }];
    expect((await h.api('POST', '/v1/processes', { name: 'printer', steps })).status).toBe(201);
    const k = await h.api('POST', '/v1/cases', { process: 'printer', title: 'Printer jams' });
    expect(k.status, JSON.stringify(k.body)).toBe(201);
    caseId = k.body.id;

    // The step's task goes to the provider, which acknowledges it and hands it back solved.
    id = await until(async () => (await h.api('GET', `/v1/cases/${caseId}`)).body.steps[0].actionId as string | null, 'the task');
    await until(() => provider('/provider/submit').length === 1, 'the submission');
    callbackUrl = (provider('/provider/submit')[0]!.body as { callbackUrl: string }).callbackUrl;
    await h.waitFor(id, (a) => a.state === 'waiting');
    await fromProvider('acknowledge', { externalReference: 'PRV-7' });
    await fromProvider('hand-back', { resolution: 'solved', solution: SOLUTION });
    const back = await h.waitFor(id, (a) => a.state === 'todo');
    expect(back).toMatchObject({
      reason: 'updated_by_integration',
      assignee: 'olga',
      solution: { resolution: 'solved', solution: SOLUTION },
    });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('shows what the provider said, as text and bounded, on the action card and the case page', async () => {
    const page = await signedIn(b, h, olga, `/ui/actions/${id}`);
    const panel = page.getByTestId('solution');
    await panel.getByRole('heading', { name: 'Solution from the provider' }).waitFor();
    const text = panel.getByTestId('solution-text');
    expect(await text.textContent()).toBe(SOLUTION);
    expect(await panel.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __injected?: number }).__injected)).toBeUndefined();
    // Long text wraps inside its box (no sideways scroll) and its height is bounded.
    expect(await text.evaluate((el) => el.scrollWidth <= el.clientWidth && getComputedStyle(el).maxHeight !== 'none')).toBe(true);
    // Nor does the timeline's entry of the hand-back push the page wider than the window.
    await page.locator('.timeline li', { hasText: 'Handed back by the provider' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await panel.textContent()).toContain('Solved, handed back through provider (queue vendor-desk)');
    await panel.getByRole('button', { name: 'Accept solution' }).waitFor();
    await panel.getByRole('button', { name: 'Decline solution' }).waitFor();
    // Completing is accepting: the card has no second, unlabelled way to close the task.
    expect(await page.getByRole('group', { name: /^Complete / }).count()).toBe(0);
    await expectAccessible(page, 'action-solution');

    await page.goto(`${h.url}/ui/cases/${caseId}`);
    const task = page.locator(`section.task[data-task="${id}"]`);
    expect(await task.getByTestId('solution-text').textContent()).toBe(SOLUTION);
    await task.getByRole('button', { name: 'Decline solution' }).waitFor();
    await expectAccessible(page, 'case-solution');
    await page.close();
  });

  it('offers nothing to decide to a person the task is not with; the server refuses them anyway', async () => {
    expect((await h.api('POST', `/v1/actions/${id}/pick-up`, undefined, { authorization: `Bearer ${olga}` })).status).toBe(200);
    const page = await signedIn(b, h, bert, `/ui/actions/${id}`);
    const panel = page.getByTestId('solution');
    await panel.getByTestId('solution-text').waitFor();
    await page.getByRole('button', { name: 'Take over' }).waitFor();
    expect(await panel.getByRole('button').count()).toBe(0);
    const refused = await h.api('POST', `/v1/actions/${id}/decline-solution`, { note: 'no' }, { authorization: `Bearer ${bert}` });
    expect(refused.status).toBe(409);
    await page.close();
  });

  it('Decline with no reason shows the API’s error and changes nothing; with one, the provider gets the rejection', async () => {
    const page = await signedIn(b, h, olga, `/ui/actions/${id}`);
    const panel = page.getByTestId('solution');
    await panel.getByRole('button', { name: 'Decline solution' }).click();
    const reason = panel.getByLabel(/^Reason/);
    await reason.waitFor();
    const entries = (await logOf()).length;
    await panel.getByRole('button', { name: 'Decline solution' }).click();
    const alert = panel.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('note');
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    expect(await h.callout.actions.getAction(id)).toMatchObject({ state: 'in_progress', solution: { solution: SOLUTION } });
    expect(await logOf()).toHaveLength(entries);
    expect(provider('/provider/reject')).toHaveLength(0);
    await expectAccessible(page, 'action-solution-decline');
    // Only spaces is no reason either: the API's words again, and still nothing sent.
    await reason.fill('   ');
    await panel.getByRole('button', { name: 'Decline solution' }).click();
    await expect.poll(() => alert.textContent()).toContain('give the reason');
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    expect(await logOf()).toHaveLength(entries);
    expect(provider('/provider/reject')).toHaveLength(0);

    await reason.fill('Still jams on page 2');
    await panel.getByRole('button', { name: 'Decline solution' }).click();
    // The task is with the provider again: Waiting, and nothing left to accept or decline.
    await expect.poll(() => page.getByRole('heading', { level: 1 }).getByTestId('state').textContent()).toBe('Waiting');
    // A provider's task has no completion timeout: the line says what moves it, not nothing.
    expect(await page.getByTestId('why').textContent()).toContain(
      'awaiting callback, with no timeout: waits until the external system calls back or a person completes it',
    );
    expect(await page.getByTestId('solution').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await expect.poll(() => provider('/provider/reject').length, { timeout: 10_000 }).toBe(1);
    expect(provider('/provider/reject')[0]!.body).toEqual({ ref: 'PRV-7', note: 'Still jams on page 2' });
    await expect
      .poll(async () => (await page.getByTestId('integration-log').textContent()) ?? '', { timeout: 10_000 })
      .toContain('Resolution Rejection');
    await page.locator('.timeline li', { hasText: 'Solution declined: Still jams on page 2.' }).waitFor();
    expect((await logOf()).at(-1)).toMatchObject({ requestType: 'Resolution Rejection', direction: 'Out' });
    await page.close();
  });

  it('Accept completes the task, and the provider is told it closed', async () => {
    await fromProvider('hand-back', { resolution: 'closed', solution: 'Replaced the fuser unit' });
    await h.waitFor(id, (a) => a.state === 'todo');
    const page = await signedIn(b, h, olga, `/ui/cases/${caseId}`);
    const task = page.locator(`section.task[data-task="${id}"]`);
    await expect.poll(() => task.getByTestId('solution-text').textContent()).toBe('Replaced the fuser unit');
    expect(await task.getByTestId('solution').textContent()).toContain('Closed, handed back');
    await task.getByRole('button', { name: 'Accept solution' }).click();
    const form = task.getByRole('group', { name: 'Accept the solution: complete Fix the printer' });
    await form.getByLabel('Note').fill('Confirmed with the user');
    await form.getByRole('button', { name: 'Complete' }).click();
    // Done: no task left on the case, and the step's action is Closed.
    await expect.poll(() => page.locator(`section.task[data-task="${id}"]`).count()).toBe(0);
    expect(await h.callout.actions.getAction(id)).toMatchObject({ state: 'closed', resolution: 'done_successfully' });
    await expect.poll(() => provider('/provider/close').length, { timeout: 10_000 }).toBe(1);
    expect(provider('/provider/close')[0]!.body).toEqual({ ref: 'PRV-7', note: 'Confirmed with the user' });
    await page.close();
  });
});
