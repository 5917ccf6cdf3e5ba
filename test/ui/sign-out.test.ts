// Signing out in a real browser: only a sign-out the server confirmed shows the sign-in form. A failed
// one (here the network drops the request: the browser's own request interception, the one stand-in in
// this file, as a network failure cannot be made on loopback) says so and leaves the person signed
// in, so on a shared machine nobody walks away from a session they believe ended.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

describe('signing out of the UI', () => {
  let h: Harness;
  let b: Browser;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({ start: false });
    b = await launchBrowser();
    key = await keyWith(h, 'desk-pc', ['operator']);
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it('a sign-out that fails says so and stays signed in; one that succeeds ends the session on the server', async () => {
    const page = await signedIn(b, h, key);
    const cookie = (await b.context.cookies()).find((c) => c.name === 'callout_session')!;
    // What the server says of the browser's cookie, asked outside the browser.
    const withCookie = async (): Promise<number> => {
      const r = await request(`${h.url}/v1/actions`, { headers: { cookie: `callout_session=${cookie.value}` } });
      await r.body.text();
      return r.statusCode;
    };

    await page.route('**/ui/session', (route) =>
      route.request().method() === 'DELETE' ? route.abort('internetdisconnected') : route.continue(),
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('sign-out-failed').waitFor();
    expect(await page.getByTestId('sign-out-failed').textContent()).toContain('Signing out failed: you are still signed in');
    expect(await page.getByLabel('API key').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(1);
    expect(await withCookie()).toBe(200);

    await page.unroute('**/ui/session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.getByTestId('sign-out-failed').count()).toBe(0);
    expect(await withCookie()).toBe(401);
  });

  it('a second session cookie planted at a longer path: the page says to clear the cookies rather than offer a sign-in that cannot help', async () => {
    const page = await signedIn(b, h, key);
    const own = (await b.context.cookies()).find((c) => c.name === 'callout_session')!;
    await b.context.addCookies([{ ...own, path: '/ui', value: own.value }]);
    await page.reload();
    await page.getByText("clear this site's cookies and sign in again").waitFor();
    expect(await page.getByLabel('API key').count()).toBe(0);
  });

  it('a path segment that does not decode shows Not found, not a blank page', async () => {
    const page = await signedIn(b, h, key);
    const errors: string[] = [];
    page.removeAllListeners('pageerror');
    page.on('pageerror', (e) => errors.push(e.message));
    await page.evaluate(() => {
      history.pushState(null, '', '/ui/cases/%E0%A4%A');
      dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(errors).toEqual([]);
  });
});
