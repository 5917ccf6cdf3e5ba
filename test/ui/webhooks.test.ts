// The builder's webhooks page in a real browser: create a subscription (the secret shown once, copied
// with the button, gone after a reload and never in the API's lists), see it listed, its deliveries
// with their attempts, disable it and rotate its secret; axe on the page; an operator is not offered it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { startReceiver, until, type Receiver } from '../webhooks/helpers.ts';
import { expectAccessible, keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('webhooks in the builder', () => {
  let h: Harness;
  let b: Browser;
  let rx: Receiver;
  beforeAll(async () => {
    h = await startHarness({ callout: { webhooks: { pollIntervalMs: 50 } } });
    b = await launchBrowser();
    rx = await startReceiver();
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await rx?.close();
  });

  it('creates one, shows the secret once, lists it with its deliveries, disables it and rotates its secret', async () => {
    const builderKey = await keyWith(h, 'bob-builder', ['builder']);
    await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
    const page = await signedIn(b, h, builderKey, '/ui/work');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();

    // A mistake is refused with the field named, and nothing is created.
    await page.getByLabel('Endpoint URL').fill(rx.url);
    await page.getByLabel('Events').fill('action.nope');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('events[0]');
    expect((await h.api('GET', '/v1/webhooks')).body.items).toHaveLength(0);

    await page.getByLabel('Events').fill('action.*');
    await page.getByLabel('Description').fill('audit trail');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const row = page.locator('[data-testid="webhooks"] tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.first().textContent()).toContain('audit trail');
    const listed = (await h.api('GET', '/v1/webhooks')).body;
    expect(listed.items).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(secret);
    await expectAccessible(page, 'webhooks');

    // Shown once: a reload lists the subscription without its secret.
    await page.reload();
    await expect.poll(() => row.count()).toBe(1);
    expect(await page.locator('main').textContent()).not.toContain(secret);

    // A launch is delivered; the deliveries table shows it with its attempt.
    await launch(h, 'sync-ok');
    await until('a delivery', () => rx.received.length > 0 || undefined);
    await page.getByRole('link', { name: `Deliveries to ${rx.url}` }).click();
    await expect.poll(() => page.getByTestId('deliveries').textContent()).toContain('action.launched');
    expect(await page.getByTestId('deliveries').textContent()).toContain('HTTP 200');
    await expectAccessible(page, 'webhook-deliveries');

    await page.getByRole('button', { name: `Disable ${rx.url}` }).click();
    await expect.poll(() => page.getByTestId('webhook-status').textContent()).toContain('Disabled');
    expect((await h.api('GET', '/v1/webhooks')).body.items[0].enabled).toBe(false);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Rotate the secret of ${rx.url}` }).click();
    await expect.poll(() => page.getByTestId('webhook-secret').textContent()).not.toBe(secret);
    expect(await page.getByTestId('webhook-secret').textContent()).toMatch(/^whsec_/);
    await page.close();
  });

  it("creates one with a retry policy of its own (an action type's), refusing a count that is not a number", async () => {
    const page = await signedIn(b, h, await keyWith(h, 'rita-builder', ['builder']), '/ui/webhooks');
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    const before = (await h.api('GET', '/v1/webhooks')).body.items.length as number;
    const url = `${rx.url}?own-retry`;
    await page.getByLabel('Endpoint URL').fill(url);
    await page.getByLabel('Retries').selectOption('policy');
    await page.getByLabel('Most retries').fill('many');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('retry.maxRetries');
    expect((await h.api('GET', '/v1/webhooks')).body.items).toHaveLength(before);

    await page.getByLabel('Most retries').fill('2');
    await page.getByLabel('Retry interval').fill('1s');
    await page.getByLabel('Backoff').selectOption('fixed');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByTestId('webhook-secret').waitFor();
    const made = ((await h.api('GET', '/v1/webhooks')).body.items as Array<{ url: string; retry?: unknown }>).find((w) => w.url === url);
    expect(made?.retry).toMatchObject({ maxRetries: 2, interval: 1000, backoff: 'fixed' });
    const row = page.locator('tr', { hasText: url });
    await expect.poll(() => row.getByTestId('webhook-retries').textContent()).toContain('at most 2 retries, 1s apart (fixed)');
    // The one made without a policy (the first test's) says it follows the schedule.
    const plain = ((await h.api('GET', '/v1/webhooks')).body.items as Array<{ id: string; url: string }>).find((w) => w.url === rx.url)!;
    expect(await page.locator(`tr[data-id="${plain.id}"]`).getByTestId('webhook-retries').textContent()).toContain(
      'Standard Webhooks schedule',
    );
    await expectAccessible(page, 'webhooks-retry-policy');
    await page.close();
  });

  it('is not offered to an operator', async () => {
    const page = await signedIn(b, h, await keyWith(h, 'olga-op', ['operator']), '/ui/work');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.goto(`${h.url}/ui/webhooks`);
    await page.getByRole('heading', { name: /not/i }).waitFor();
    expect(await page.getByRole('button', { name: 'Create webhook' }).count()).toBe(0);
    await page.close();
  });
});
