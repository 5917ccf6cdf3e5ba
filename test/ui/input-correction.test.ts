// Edit the input, then retry, on the action card: an operator opens "Correct the input and retry",
// sees the action type's fields filled with the action's input, changes what was wrong, and the
// action is sent again with it; a refused value is shown by its field and nothing changes. An action
// rejected by its system (To Do), or closed Not Done, offers Retry too (only a waiting one did).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('correct the input and retry', () => {
  let h: Harness;
  let b: Browser;
  let operator: string;
  beforeAll(async () => {
    h = await startHarness({ mock: { keepBodies: true } });
    b = await launchBrowser();
    await connector(h);
    await actionType(h, {
      name: 'desk',
      path: '/status/{{ Code }}',
      fields: { Code: { type: 'integer' }, Title: { type: 'string' }, Note: { type: 'string', required: false } },
      body: { format: 'json', template: '{"title": "{{ Title }}"}' },
      retry: { maxRetries: 0 },
    });
    await h.api('POST', '/v1/users', { name: 'olga' });
    operator = await keyWith(h, 'olga', ['operator'], 'olga');
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('a rejected action is corrected field by field and sent again', async () => {
    const { id } = await launch(h, 'desk', { Code: 422, Title: 'Laptpo', Note: 'n' });
    await h.waitFor(id, (a) => a.state === 'todo');
    const page = await signedIn(b, h, operator, `/ui/actions/${id}`);
    await page.getByRole('button', { name: 'Retry', exact: true }).waitFor();
    // "0 of 0" left it to be guessed whether a retry would come: a refused request is not retried by itself.
    expect(await page.getByTestId('retried').textContent()).toBe('retried 0 of 0 · a refused request is not retried automatically');
    const panel = page.getByTestId('input-correction');
    await panel.getByText('Correct the input and retry').click();
    const code = page.getByLabel('Code (integer)');
    await expect.poll(() => code.inputValue()).toBe('422');
    expect(await page.getByLabel('Title (string)').inputValue()).toBe('Laptpo');
    await expectAccessible(page, 'action with its input correction open');

    // A value the field refuses: named, and the action stays as it was.
    await code.fill('two hundred');
    await page.getByRole('button', { name: 'Retry with these values' }).click();
    await panel.getByRole('alert').waitFor();
    expect(await panel.getByRole('alert').textContent()).toContain('input.Code');
    expect((await h.api('GET', `/v1/actions/${id}`)).body).toMatchObject({
      state: 'todo',
      input: { Code: 422, Title: 'Laptpo', Note: 'n' },
    });

    await code.fill('200');
    await page.getByLabel('Title (string)').fill('Laptop');
    await page.getByLabel('Note (string, optional)').fill('');
    await page.getByRole('button', { name: 'Retry with these values' }).click();
    await h.waitFor(id, (a) => a.state === 'closed' && a.resolution === 'done_successfully');
    expect((await h.api('GET', `/v1/actions/${id}`)).body.input).toEqual({ Code: 200, Title: 'Laptop' });
    expect(h.mock.log.filter((e) => e.key === id).map((e) => [e.path, e.body])).toEqual([
      ['/status/422', { title: 'Laptpo' }],
      ['/status/200', { title: 'Laptop' }],
    ]);
    // The correction is on the timeline, by the operator, with the fields it changed.
    await page.locator('.timeline li.kind-input_changed').waitFor();
    expect(await page.locator('.timeline li.kind-input_changed').textContent()).toContain('Input corrected by olga: Code, Note, Title');
    // Closed Done: nothing to retry any more.
    await expect.poll(() => page.getByTestId('input-correction').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
  });

  it('an action closed Not Done offers Retry on its error bar', async () => {
    const { id } = await launch(h, 'desk', { Code: 503, Title: 'T' });
    await h.waitFor(id, (a) => a.state === 'closed');
    const page = await signedIn(b, h, operator, `/ui/actions/${id}`);
    await page.getByTestId('error-bar').getByRole('button', { name: 'Retry', exact: true }).click();
    await h.waitFor(id, (a) => a.state === 'closed' && a.retry.count === 1);
    // Closed again: Retry once more, and no pause for what is not waiting.
    // A person's retry counts as one: past the policy's number it reads as times ("retried 1 of 0" read as a miscount).
    await expect.poll(() => page.getByTestId('retried').textContent()).toBe('retried 1 time (automatic retries allow 0)');
    expect(await page.getByRole('button', { name: 'Pause retries' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(1);
  });

  it('what is typed stays while the action retries on its own; a correction by someone else is said', async () => {
    // A system of its own, without a circuit breaker: the failures go on, each a retry.
    await connector(h, { name: 'noisy', circuitBreaker: false });
    await actionType(h, {
      name: 'desk-retrying',
      connector: 'noisy',
      path: '/status/{{ Code }}',
      fields: { Code: { type: 'integer' }, Note: { type: 'string', required: false } },
      retry: { maxRetries: 1000, interval: '300ms', backoff: 'fixed' },
    });
    const { id } = await launch(h, 'desk-retrying', { Code: 503, Note: 'old note' });
    await h.waitFor(id, (a) => a.retry.count >= 1);
    const page = await signedIn(b, h, operator, `/ui/actions/${id}`);
    const panel = page.getByTestId('input-correction');
    await panel.getByText('Correct the input and retry').click();
    const note = page.getByLabel('Note (string, optional)');
    await expect.poll(() => note.inputValue()).toBe('old note');
    await note.fill('typed by olga');
    // Attempts go on (each moves the action's updatedAt, read by the card live): the box keeps what she typed.
    const seen = (await h.api('GET', `/v1/actions/${id}`)).body.retry.count as number;
    await h.waitFor(id, (a) => a.retry.count >= seen + 2);
    await expect.poll(() => page.getByTestId('retried').textContent()).not.toContain(`retried ${seen} `);
    expect(await note.inputValue()).toBe('typed by olga');
    expect(await panel.getByTestId('input-changed').count()).toBe(0);

    // Someone else corrects the input: the boxes show it, and the card says so.
    expect((await h.api('POST', `/v1/actions/${id}/retry`, { input: { Note: 'fixed by ivan' } })).status).toBe(200);
    await expect.poll(() => note.inputValue()).toBe('fixed by ivan');
    await panel.getByTestId('input-changed').waitFor();
    await h.api('POST', `/v1/actions/${id}/pause`, {});
    await page.close();
  });
});
