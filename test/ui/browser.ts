// Debian's chromium driven by playwright-core for the UI tests: one browser per test worker (the suite
// keeps a worker's modules from file to file), a fresh context (cookies, storage) per launchBrowser,
// the flags that keep it quiet on a CI machine, and no skipping: a missing browser fails the tests.

import { existsSync } from 'node:fs';
import { chromium, type Browser as Chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { Harness } from '../helpers/harness.ts';

// Debian's chromium-headless-shell when it is installed (.ci/run installs it): the same Chromium built as
// the headless-only shell, which spent about a third of the full browser's CPU on a sign-in and its
// first second (the full browser's headless mode still composites like a windowed one), and the UI
// tests are most of the suite's CPU on two cores. The full browser otherwise.
const SHELL = '/usr/bin/chromium-headless-shell';
export const CHROMIUM = process.env.CALLOUT_CHROMIUM ?? (existsSync(SHELL) ? SHELL : '/usr/bin/chromium');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

// Starting Chromium costs about two seconds; a context costs milliseconds. Playwright closes the
// browser when the worker exits.
let shared: Promise<Chromium> | undefined;

function chromiumOnce(): Promise<Chromium> {
  if (!existsSync(CHROMIUM))
    throw new Error(`chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this) or set CALLOUT_CHROMIUM`);
  if (!shared) {
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    shared = launching;
    // One that crashed or failed to start is started again by the next file.
    void launching.then(
      (b) => b.on('disconnected', () => shared === launching && (shared = undefined)),
      () => shared === launching && (shared = undefined),
    );
  }
  return shared;
}

/** A fresh context in UTC, en-GB, unless `timezoneId` puts the browser elsewhere (the time zone setting's tests). */
export async function launchBrowser(opts: { timezoneId?: string } = {}): Promise<Browser> {
  const context = await (
    await chromiumOnce()
  ).newContext({
    viewport: { width: 1280, height: 860 },
    timezoneId: opts.timezoneId ?? 'UTC',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
    },
  };
}

/** A key with these roles, created through the API as an admin. */
export async function keyWith(h: Harness, name: string, roles: string[], user?: string): Promise<string> {
  const r = await h.api('POST', '/v1/api-keys', { name, roles, ...(user !== undefined ? { user } : {}) });
  if (r.status !== 201) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key;
}

/**
 * Olga, an operator and the only member of queue `hr`, given `tasks` tasks on one case by someone else
 * (so one notification each); her key.
 */
export async function olgaWithTasks(h: Harness, tasks: number): Promise<string> {
  const ok = (r: { status: number; body: unknown }, what: string) => {
    if (r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(await h.api('POST', '/v1/users', { name: 'olga', displayName: 'Olga Operator' }), 'user');
  ok(await h.api('POST', '/v1/queues', { name: 'hr', members: ['olga'] }), 'queue');
  const key = await keyWith(h, 'olga-key', ['operator'], 'olga');
  const c = (await h.api('POST', '/v1/cases', { title: 'Onboarding' })).body.id as string;
  for (let i = 1; i <= tasks; i++)
    ok(await h.api('POST', `/v1/cases/${c}/tasks`, { title: `Task ${i}`, queue: 'hr', assignee: 'olga' }), `task ${i}`);
  return key;
}

/** Olga, an operator and the only member of queue `hr` (no allocation), and a case to add tasks to: her key and the case. */
export async function olgaOnHr(h: Harness): Promise<{ olga: string; caseId: string }> {
  for (const [path, body] of [
    ['/v1/users', { name: 'olga' }],
    ['/v1/queues', { name: 'hr', members: ['olga'], allocation: 'none' }],
  ] as const) {
    const r = await h.api('POST', path, body);
    if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const olga = await keyWith(h, 'olga-key', ['operator'], 'olga');
  return { olga, caseId: (await h.api('POST', '/v1/cases', { title: 'Onboarding' })).body.id as string };
}

/** A task titled `title` on queue `hr` of case `caseId`, due at `dueAt` when given; its id. */
export async function hrTask(h: Harness, caseId: string, title: string, dueAt?: string): Promise<string> {
  const r = await h.api('POST', `/v1/cases/${caseId}/tasks`, { title, queue: 'hr', ...(dueAt ? { dueAt } : {}) });
  if (r.status !== 201) throw new Error(`task: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** Opens a fresh page signed in with `key` (cookies of earlier sign-ins cleared first). */
export async function signedIn(b: Browser, h: Harness, key: string, path = '/ui/work'): Promise<Page> {
  await b.context.clearCookies();
  const page = await b.context.newPage();
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(`${h.url}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

/** axe-core on the page as it is: no serious or critical violations. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0)
    throw new Error(
      `axe found ${bad.length} serious or critical violations:\n` +
        bad.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n'),
    );
}

/**
 * Holds the page's requests that `match` accepts (of `method`, when given) until `release()`, counting
 * them: a test acts while a request is on its way. `release` lets the held ones go and, once they have
 * gone on, stops holding (unrouting while one was held made Playwright settle it first).
 */
export async function holdRequests(
  page: Page,
  match: (u: URL) => boolean,
  method?: string,
): Promise<{ count: () => number; release: () => Promise<void> }> {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const held: Promise<void>[] = [];
  const hold = (route: Route): Promise<void> => {
    if (method !== undefined && route.request().method() !== method) return route.continue();
    const going = gate.then(() => route.continue());
    held.push(going);
    return going;
  };
  await page.route(match, hold);
  return {
    count: () => held.length,
    release: async () => {
      open();
      await Promise.all(held);
      await page.unroute(match, hold);
    },
  };
}
