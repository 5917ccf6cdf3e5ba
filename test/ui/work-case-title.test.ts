// The work list's Case column names the case by its title (its id's end when it has none), as text
// however it is written, linking to the case's work with the full id in the link's title; the
// action's card names it so too.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { hrTask, launchBrowser, olgaOnHr, signedIn, type Browser } from './browser.ts';

describe("the work list's Case column", () => {
  let h: Harness;
  let b: Browser;
  let olga: string;
  let onboarding: string;
  const row = (page: Page, id: string) => page.locator(`table.actions tr[data-id="${id}"]`);
  /** The row's link to its case's work. */
  const caseLink = (page: Page, id: string) => row(page, id).locator('a[href^="/ui/work?caseId="]');

  beforeAll(async () => {
    h = await startHarness();
    b = await launchBrowser();
    ({ olga, caseId: onboarding } = await olgaOnHr(h));
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
  });

  it("shows the case's title, as text, or the end of its id when it has none", async () => {
    const markup = (await h.api('POST', '/v1/cases', { title: '<b>Sam</b> & "Ng"' })).body.id as string;
    const untitled = (await h.api('POST', '/v1/cases', {})).body.id as string;
    const titledTask = await hrTask(h, onboarding, 'Check references');
    const markupTask = await hrTask(h, markup, 'Order a badge');
    const untitledTask = await hrTask(h, untitled, 'Book a desk');

    const page = await signedIn(b, h, olga, '/ui/work?queue=hr');
    await row(page, untitledTask).waitFor();
    expect(await caseLink(page, titledTask).textContent()).toBe('Onboarding');
    expect(await caseLink(page, titledTask).getAttribute('title')).toBe(onboarding);
    expect(await caseLink(page, titledTask).getAttribute('href')).toBe(`/ui/work?caseId=${onboarding}`);
    // Written as markup, shown as the characters typed: no element made of it.
    expect(await caseLink(page, markupTask).textContent()).toBe('<b>Sam</b> & "Ng"');
    expect(await caseLink(page, markupTask).locator('b').count()).toBe(0);
    expect(await caseLink(page, untitledTask).textContent()).toBe(untitled.slice(-8));
    expect(await caseLink(page, untitledTask).getAttribute('title')).toBe(untitled);

    // A row's button answers with the action (no title in that answer): the row keeps the title.
    await row(page, titledTask).getByRole('button', { name: 'Pick up' }).click();
    await expect.poll(() => row(page, titledTask).getByTestId('state').textContent()).toMatch(/^In Progress/);
    expect(await caseLink(page, titledTask).textContent()).toBe('Onboarding');

    // The link shows that case's work.
    await caseLink(page, titledTask).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('caseId')).toBe(onboarding);
    // The list is read again after the address changes: the other case's row goes once it is.
    await expect.poll(() => row(page, markupTask).count()).toBe(0);
    await row(page, titledTask).waitFor();
    await page.close();
  });

  it("the action's card names its case by title, linking to the case, after a press too", async () => {
    const id = await hrTask(h, onboarding, 'Send the contract');
    const page = await signedIn(b, h, olga, `/ui/actions/${id}`);
    const link = page.locator(`a[href="/ui/cases/${onboarding}"]`);
    await expect.poll(() => link.textContent()).toBe('Onboarding');
    expect(await link.getAttribute('title')).toBe(onboarding);
    // The card's own press answers with the action (no title in that answer): the title stays.
    await page.getByRole('button', { name: 'Pick up' }).click();
    await page.getByRole('button', { name: 'Release' }).waitFor();
    expect(await link.textContent()).toBe('Onboarding');
    await page.close();
  });
});
