// A screen from the chunk fetched on first use (later-screens.ts) whose load failed says so, and the
// next such screen opened tries again and shows: the failure was kept by the screen component and
// shown on every later screen until a full reload.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith, launchBrowser, signedIn, type Browser } from './browser.ts';

let h: Harness;
let b: Browser;
let builder: string;
beforeAll(async () => {
  h = await startHarness({ start: false });
  b = await launchBrowser();
  builder = await keyWith(h, 'bella', ['builder']);
});
afterAll(async () => {
  await b?.close();
  await h?.close();
});

it('a failed load of a later screen is tried again on the next one', async () => {
  const page = await signedIn(b, h, builder, '/ui/work');
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  // The page's own chunks are loaded; the next chunk asked for fails once (a deploy replaced it).
  let failed = 0;
  await page.route(
    (u) => u.pathname.startsWith('/ui/assets/chunk-'),
    (route) => (failed++ === 0 ? route.abort('failed') : route.continue()),
  );
  await page.getByRole('link', { name: 'Connectors', exact: true }).click();
  await page.getByRole('heading', { name: 'This screen could not be loaded' }).waitFor();
  await page.getByRole('link', { name: 'Action types', exact: true }).click();
  await page.getByRole('heading', { name: 'Action types', level: 1 }).waitFor();
  expect(failed).toBeGreaterThanOrEqual(2);
  await page.close();
});
