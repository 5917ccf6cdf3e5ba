// `npm run demo`: Callout on the embedded store beside a built-in mock external system, seeded with a
// connector and action types, launching actions that pass through every state within a minute; and a
// case moving through a process with a manual step, and a bulk launch (demo-work.ts).

import type { Settings } from '../settings.ts';
import { startMockServer } from '../mock/server.ts';
import { MOCK_OAUTH_CLIENT } from '../mock/routes.ts';
import { startServer, stopOnSignal } from './serve.ts';
import type { Callout } from '../callout.ts';
import { DEMO_PEOPLE, FIRST_REFUSED_ROW, seedWork, startWork } from './demo-work.ts';
import { demoIntegratedQueue } from './demo-integrated.ts';
import { demoWebhookReceiver } from './demo-webhooks.ts';

const ACTION_TYPES = (connector: string): Array<Record<string, unknown>> => [
  {
    name: 'create-ticket',
    description: 'Answers at once: closes Done Successfully with the ticket number merged into the case',
    connector,
    method: 'POST',
    path: '/ok',
    body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
    fields: { Priority: { type: 'integer', default: 3 } },
    response: { output: '{ "ticketNo": id }' },
    retry: { maxRetries: 3, interval: '2s' },
  },
  {
    name: 'order-laptop',
    description: 'The vendor accepts, then calls back a few seconds later with the order number',
    connector,
    method: 'POST',
    path: '/callback?delayMs={{ DelayMs }}&outcome={{ Outcome }}',
    body: { format: 'json', template: '{"model": "{{ Model }}", "callbackUrl": "{{ $callbackUrl }}"}' },
    fields: { DelayMs: { type: 'integer', default: 6000 }, Outcome: { default: 'success' } },
    completion: { mode: 'callback', timeout: '5m' },
    allocation: { queue: 'service-desk' },
  },
  {
    name: 'provision-account',
    description: 'The directory never calls back: after 20 s the action is handed to the service desk (To Do, Timeout)',
    connector,
    method: 'POST',
    path: '/callback?never=1',
    body: { format: 'json', template: '{"user": "{{ User }}", "callbackUrl": "{{ $callbackUrl }}"}' },
    completion: { mode: 'callback', timeout: '20s' },
    allocation: { queue: 'service-desk' },
  },
  {
    name: 'sync-payroll',
    description: 'The payroll system is down (503): retried 3 times, then Closed Not Done Successfully and escalated',
    connector,
    method: 'PUT',
    path: '/status/503',
    body: { format: 'json', template: '{"employee": "{{ Employee }}"}' },
    retry: { maxRetries: 3, interval: '3s', backoff: 'exponential', maxInterval: '20s' },
  },
  {
    name: 'flaky-update',
    description: 'Fails twice (503), then succeeds on the second retry',
    connector,
    method: 'POST',
    path: '/fail-then-ok?times=2',
    body: { format: 'json', template: '{"note": "{{ Note }}"}' },
    response: { output: '{ "updateId": id }' },
    retry: { maxRetries: 5, interval: '2s', backoff: 'fixed' },
  },
  {
    name: 'charge-cost-centre',
    description: 'The finance system refuses the request (400): To Do, Rejected by External System',
    connector,
    method: 'POST',
    path: '/reject',
    body: { format: 'json', template: '{"costCentre": "{{ CostCentre }}"}' },
    allocation: { queue: 'finance' },
  },
  {
    name: 'create-invoice',
    description: 'An OAuth 2.0 (client credentials) connector: the token is fetched once and reused',
    connector: 'demo-oauth',
    method: 'POST',
    path: '/secure/ok',
    body: { format: 'json', template: '{"amount": "{{ Amount }}"}' },
    fields: { Amount: { type: 'number' } },
    response: { output: '{ "invoiceNo": id }' },
  },
  {
    name: 'send-sms',
    description: 'A connector limited to 2 calls a second: the others wait (Throttled), without using retries',
    connector: 'demo-limited',
    method: 'POST',
    path: '/ok',
    body: { format: 'json', template: '{"to": "{{ To }}", "text": "{{ Text }}"}' },
    fields: { Text: { default: 'Your laptop has shipped' } },
    // Only the message's id goes into the output (and a case's data), not the vendor's whole answer.
    response: { output: '{ "smsId": id }' },
  },
  {
    name: 'slow-report',
    description: 'Takes 4 seconds to answer: shows the sending phase',
    connector,
    method: 'GET',
    path: '/slow?ms=4000',
    response: { output: '{ "reportId": id }' },
  },
];

const LAUNCHES: Array<{ actionType: string; input: Record<string, unknown> }> = [
  { actionType: 'create-ticket', input: { Title: 'Printer on floor 3 is jammed', Priority: 2 } },
  { actionType: 'order-laptop', input: { Model: 'ThinkPad X1' } },
  { actionType: 'order-laptop', input: { Model: 'MacBook Pro 16"', DelayMs: 9000, Outcome: 'failure' } },
  { actionType: 'provision-account', input: { User: 'j.doe' } },
  { actionType: 'sync-payroll', input: { Employee: 'E-1042' } },
  { actionType: 'flaky-update', input: { Note: 'address change' } },
  { actionType: 'charge-cost-centre', input: { CostCentre: 'CC-000' } },
  { actionType: 'slow-report', input: {} },
  { actionType: 'create-invoice', input: { Amount: 1249.5 } },
  ...['+4420 7946 0001', '+4420 7946 0002', '+4420 7946 0003', '+4420 7946 0004', '+4420 7946 0005', '+4420 7946 0006'].map((To) => ({
    actionType: 'send-sms',
    input: { To },
  })),
];

async function seed(callout: Callout, mockUrl: string): Promise<void> {
  const connectors = [
    {
      name: 'demo-vendor',
      description: 'The built-in mock external system',
      baseUrl: mockUrl,
      auth: { type: 'bearer', token: 'demo-token-not-a-secret' },
      timeout: '10s',
    },
    {
      name: 'demo-oauth',
      description: 'The mock behind its own OAuth 2.0 token endpoint',
      baseUrl: mockUrl,
      auth: {
        type: 'oauth2_client_credentials',
        tokenUrl: `${mockUrl}/oauth/token`,
        clientId: MOCK_OAUTH_CLIENT.id,
        clientSecret: MOCK_OAUTH_CLIENT.secret,
        clientAuth: 'basic',
      },
    },
    { name: 'demo-limited', description: 'The mock, at most 2 calls a second', baseUrl: mockUrl, rateLimits: [{ limit: 2, per: '1s' }] },
  ];
  for (const c of connectors) {
    const existing = await callout.connectors.find(c.name);
    // The mock listens on a new port each run: point the connector at it.
    if (existing) await callout.connectors.update(c.name, c, 'replace');
    else await callout.connectors.create(c);
  }
  for (const t of ACTION_TYPES('demo-vendor')) {
    const prior = await callout.actionTypes.find(t.name as string);
    if (prior) await callout.actionTypes.update(t.name as string, t);
    else await callout.actionTypes.create(t);
  }
}

/** The keys the demo makes on each run (`demo-<ms>`, `demo-<person>-<ms>`), each named as made. */
const DEMO_KEY = /^demo-(?:[a-z]+-)?\d{13}$/;

async function revokeDemoKeys(callout: Callout): Promise<void> {
  for (const k of await callout.apiKeys.list()) if (k.revokedAt === null && DEMO_KEY.test(k.name)) await callout.apiKeys.revoke(k.id);
}

export async function demo(s: Settings, opts: { launch: boolean }): Promise<void> {
  const mock = await startMockServer({ callbackDelayMs: 5000 });
  const running = await startServer(s, { quiet: true, logLevel: process.env.CALLOUT_LOG_LEVEL ?? 'warn' });
  const { callout } = running;
  await seed(callout, mock.url);
  await seedWork(callout);
  const say = (line: string): void => void process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  // Subscribed before anything launches, so it hears every event of the demo; its lines wait for the
  // intro (whose first line is where to open the UI).
  const early: string[] = [];
  let introShown = false;
  const receiver = await demoWebhookReceiver(callout, (line) => (introShown ? say(line) : void early.push(line)));
  // The admin key is shown on the first start only; later runs get a fresh demo key, and the keys an
  // earlier run made (its admin key and its people's) are revoked: each run left three more behind.
  await revokeDemoKeys(callout);
  const key =
    s.adminKey ?? running.generatedAdminKey ?? (await callout.apiKeys.create({ name: `demo-${Date.now()}`, roles: ['admin'] })).key;
  const kase = (await callout.cases.createCase({ data: { employee: 'Jane Doe' }, owner: DEMO_PEOPLE[0] })).case;
  const ids: string[] = [];
  if (opts.launch)
    for (const l of LAUNCHES) ids.push((await callout.actions.launch({ ...l, caseId: kase.id }, { actor: 'user:demo' })).action.id);
  if (opts.launch) ids.push(await demoIntegratedQueue(callout, mock.url, kase.id));

  const base = running.url;
  const work = opts.launch ? await startWork(callout, base, key, say) : undefined;
  process.stdout.write(
    [
      '',
      `Callout web UI: ${base}/ui/work  (sign in with the API key below)`,
      `Callout demo: API ${base}  (mock external system ${mock.url})`,
      `API key for this demo: ${key}`,
      '',
      'Try:',
      `  curl -s -H "Authorization: Bearer ${key}" '${base}/v1/actions?limit=20'`,
      `  curl -s -H "Authorization: Bearer ${key}" ${base}/v1/actions/${ids[0] ?? '<id>'}/timeline`,
      `  curl -s -H "Authorization: Bearer ${key}" ${base}/v1/cases/${kase.id}`,
      `  curl -s ${base}/openapi.json`,
      '',
      ...(work
        ? [
            'A case moving through a process (a manual approval on queue hr, a ticket, a message, an SMS):',
            `  ${base}/ui/cases/${work.caseId}`,
            `A bulk launch of 200 CSV rows (2 refused), its report from row ${FIRST_REFUSED_ROW} (refused) on:`,
            `  curl -s -H "Authorization: Bearer ${key}" '${base}/v1/bulk-launches/${work.bulkId}?afterRow=${FIRST_REFUSED_ROW - 1}&limit=3'`,
            '',
          ]
        : []),
      `A webhook receiver (${receiver.url}) checks the signature of every event; it prints those of the cases`,
      "and their actions, and counts the bulk launch's (some 400) in a line every few seconds.",
      '',
      'Actions as they move (Ctrl-C to stop):',
      '',
    ].join('\n'),
  );
  introShown = true;
  for (const line of early.splice(0)) say(line);
  let last = '';
  const show = async (): Promise<void> => {
    const lines: string[] = [];
    for (const id of ids) {
      const a = await callout.actions.getAction(id);
      const state =
        [a.labels.state, a.labels.reason ?? a.labels.resolution, a.phase].filter(Boolean).join(' / ') +
        (a.throttledUntil ? ` until ${a.throttledUntil.slice(11, 19)}` : '');
      const extra = a.retry.lastError
        ? `  retries ${a.retry.count} of ${a.retry.max}${a.retry.nextRetryAt ? `, next ${a.retry.nextRetryAt.slice(11, 19)}` : ''}`
        : '';
      const why = a.rejectedReason ? `  rejected: ${a.rejectedReason.slice(0, 50)}` : '';
      lines.push(`  ${(a.actionTypeName ?? 'manual task').padEnd(20)} ${state.padEnd(46)}${a.escalated ? ' ESCALATED' : ''}${extra}${why}`);
    }
    const text = lines.join('\n');
    if (text !== last) {
      process.stdout.write(`[${new Date().toISOString().slice(11, 19)}]\n${text}\n\n`);
      last = text;
    }
  };
  const timer = setInterval(() => void show().catch(() => undefined), 1000);
  work?.done.catch((e: unknown) => say(`demo work stopped: ${(e as Error).message}`));
  const stop = stopOnSignal(running.callout.logger, async () => {
    clearInterval(timer);
    await running.stop();
    await mock.close();
    await receiver.close();
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
