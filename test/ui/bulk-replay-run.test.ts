// The bulk replay screen as a tracked job, in a real browser: the preview's count per state, the requests
// a retry would send with the connector's secrets masked (and one that would fail, saying why), and
// after the run a link to its report, which loads again from the server as a deep link.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { expectAccessible, launchBrowser, signedIn, type Browser } from './browser.ts';

const HEADER_SECRET = 'hdr-secret-abcdefgh-1234';

describe('bulk replay preview and kept run', () => {
  let h: Harness;
  let b: Browser;
  const rejected: string[] = [];
  let broken: string;
  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    await connector(h, { headers: { 'X-Api-Key': HEADER_SECRET } });
    await actionType(h, {
      name: 'create-ticket',
      path: '/reject/{{ Ref }}',
      fields: { Ref: {} },
      body: { format: 'json', template: '{"ref": "{{ Ref }}"}' },
      retry: { maxRetries: 0 },
    });
    // The oldest (so among the requests previewed): its action type will want a field it lacks.
    await actionType(h, { name: 'grows', path: '/reject', fields: { Old: {} }, retry: { maxRetries: 0 } });
    broken = (await launch(h, 'grows', { Old: 'o' })).id;
    await h.waitFor(broken, (a) => a.state === 'todo');
    for (let i = 1; i <= 3; i++) rejected.push((await launch(h, 'create-ticket', { Ref: `T-${i}` })).id);
    for (const id of rejected) await h.waitFor(id, (a) => a.state === 'todo');
    // One closed by hand; and the oldest's action type now wants a field it lacks: its retry would send nothing.
    const closed = rejected.pop()!;
    expect((await h.api('POST', `/v1/actions/${closed}/complete`, { resolution: 'not_done_successfully' })).status).toBe(200);
    expect((await h.api('PATCH', '/v1/action-types/grows', { fields: { Old: {}, Ref: { required: true } } })).status).toBe(200);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('previews counts per state and the masked requests, then links the run to its report, which a reload reads again', async () => {
    const page = await signedIn(b, h, h.adminKey, '/ui/replays?connector=vendor&operation=retry');
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toBe('4 actions');
    const byState = page.getByTestId('by-state');
    expect(await byState.locator('td').allTextContents()).toEqual([
      'To Do – Rejected by External System',
      '3',
      'Closed – Not Done Successfully',
      '1',
    ]);

    const requests = page.getByTestId('requests');
    const first = await requests.locator(`[data-id="${rejected[0]}"] pre`).textContent();
    expect(first).toContain(`POST ${h.mock.url}/reject/T-1`);
    expect(first).toContain('x-api-key: [redacted]');
    expect(first).toContain('authorization: (added from the connector’s authentication)');
    expect(first).toContain('{"ref":"T-1"}');
    // Each request is headed by its action type's name, not only the action's id.
    expect(await requests.locator(`[data-id="${rejected[0]}"] p`).first().textContent()).toBe(`create-ticket · ${rejected[0]}`);
    expect(await requests.locator(`[data-id="${broken}"]`).textContent()).toMatch(
      /would send nothing: would be refused as invalid input: Ref/,
    );
    const html = await page.content();
    expect(html).not.toContain(HEADER_SECRET);
    expect(html).not.toContain('secret-token-123');
    await expectAccessible(page, 'replay-preview-requests');

    await page.getByRole('button', { name: 'Run…' }).click();
    await page.getByRole('button', { name: 'Retry 4 actions' }).click();
    await expect.poll(() => page.getByTestId('report-done').textContent()).toMatch(/^Retried \d actions?$/);
    const link = page.getByTestId('run-link');
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/ui\/replays\/[0-9a-f-]{36}$/);
    await link.click();
    await page.waitForURL(`**${href}`);
    const totals = page.getByTestId('run-totals');
    await expect.poll(() => totals.textContent()).toMatch(/actions? retried, \d skipped$/);
    const kept = (await h.api('GET', `/v1/bulk-replays/${href!.split('/').pop()}`)).body;
    expect(await totals.textContent()).toBe(`${kept.done} action${kept.done === 1 ? '' : 's'} retried, ${kept.skipped} skipped`);
    expect(await page.locator('[data-testid=kept-run] tbody tr').count()).toBe(4);
    await expectAccessible(page, 'replay-run');

    // A deep link: a fresh load reads the run from the server, not from the page that ran it.
    await page.reload();
    await expect.poll(() => page.getByTestId('run-totals').textContent()).toBe(await totals.textContent());
    for (const id of [...rejected, broken])
      expect(await page.locator(`[data-testid=kept-run] a[href="/ui/actions/${id}"]`).count()).toBe(1);
  });
});
