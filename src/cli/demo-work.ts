// The work part of `npm run demo`: two people in an `hr` queue, a process with a manual approval, a
// case that runs it (the demo's own operator picks up and completes the approval after a few
// seconds, so the case moves on and closes), and a bulk launch of 200 CSV rows through the API.

import type { Callout } from '../callout.ts';
import { startBulk, waitForBulk, refusedRows, type BulkClient } from './bulk.ts';

export const DEMO_PEOPLE = ['alice', 'bob'] as const;
export const DEMO_PROCESS = 'onboard-starter';
/** How long the demo's operator leaves the approval waiting, so it can be seen in the UI. */
const OPERATOR_DELAY_MS = 5000;
const BULK_ROWS = 200;
/** Rows with a Priority that is not a whole number: the report shows them refused. */
const BAD_ROWS = new Set([37, 142]);
/** The bulk report's page the intro points at: from the first refused row on. */
export const FIRST_REFUSED_ROW = Math.min(...BAD_ROWS);

const PROCESS = {
  name: DEMO_PROCESS,
  description: 'HR approves the starter, the vendor gets a ticket, and the starter is told its number',
  steps: [
    { name: 'approve', kind: 'manual', title: 'Approve the new starter', queue: 'hr' },
    { name: 'ticket', kind: 'external', actionType: 'create-ticket', input: '{ "Title": "Laptop for " & case.employee, "Priority": 2 }' },
    { name: 'message', kind: 'map', expression: '{ "To": case.mobile, "Text": "Ticket " & steps.ticket.output.ticketNo }' },
    { name: 'notify', kind: 'external', actionType: 'send-sms', useBodyOf: 'message', waitForResponse: false },
  ],
};

/** The demo's queues: `hr` for the process's approval, the others where its action types send what fails. */
const DEMO_QUEUES = [
  { name: 'hr', description: 'Approves new starters' },
  { name: 'service-desk', description: 'Accounts and payroll that need a person' },
  { name: 'finance', description: 'Charges the finance system refused' },
];

/** Users, the queues (round robin) and the process; run after the action types exist. */
export async function seedWork(callout: Callout): Promise<void> {
  for (const name of DEMO_PEOPLE)
    if (!(await callout.users.find(name)))
      await callout.users.create({ name, displayName: name[0]!.toUpperCase() + name.slice(1), email: `${name}@example.com` });
  const queue = { members: [...DEMO_PEOPLE], allocation: 'round_robin' };
  const existing = new Set((await callout.queues.list()).map((q) => q.name));
  for (const q of DEMO_QUEUES)
    if (existing.has(q.name)) await callout.queues.update(q.name, queue);
    else await callout.queues.create({ ...q, ...queue });
  if ((await callout.processes.list()).some((p) => p.name === DEMO_PROCESS)) {
    const { name: _name, ...patch } = PROCESS;
    await callout.processes.update(DEMO_PROCESS, patch);
  } else await callout.processes.create(PROCESS);
}

export function demoCsv(): string {
  const lines = ['Title,Priority'];
  for (let row = 1; row <= BULK_ROWS; row++)
    lines.push(`Replace the badge of employee E-${String(1000 + row)},${BAD_ROWS.has(row) ? 'urgent' : (row % 5) + 1}`);
  return `${lines.join('\n')}\n`;
}

type Say = (line: string) => void;

interface CaseSeen {
  id: string;
  status: string;
  steps: Array<{ name: string; status: string; actionId: string | null }>;
}

async function api<T = unknown>(c: BulkClient, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${c.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${c.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Creates the case and starts the bulk launch over HTTP (as any client would), and returns their ids
 * at once; `done` settles when the case has closed and the bulk report is finished.
 */
export async function startWork(
  callout: Callout,
  base: string,
  adminKey: string,
  say: Say,
): Promise<{ caseId: string; bulkId: string; done: Promise<void> }> {
  const admin: BulkClient = { url: base, key: adminKey };
  // Each person signs in with a key of their own, acting as them: the timeline names who did what.
  const keys: Record<string, string> = {};
  for (const name of DEMO_PEOPLE)
    keys[name] = (await callout.apiKeys.create({ name: `demo-${name}-${Date.now()}`, roles: ['operator'], user: name })).key;
  const kase = await api<CaseSeen>(admin, 'POST', '/v1/cases', {
    process: DEMO_PROCESS,
    title: 'Jane Doe joins on Monday',
    data: { employee: 'Jane Doe', mobile: '+4420 7946 0100' },
    owner: 'alice',
  });
  const bulk = await startBulk(
    admin,
    { kind: 'actionType', name: 'create-ticket' },
    { bytes: Buffer.from(demoCsv()), format: 'csv' },
    `demo-bulk-${Date.now()}`,
  );
  const done = Promise.all([operate(base, kase.id, keys, admin, say), followBulk(admin, bulk.report.id, say)]).then(() => undefined);
  return { caseId: kase.id, bulkId: bulk.report.id, done };
}

/** The demo's operator: waits for the approval task, picks it up as its assignee and completes it. */
async function operate(base: string, caseId: string, keys: Record<string, string>, admin: BulkClient, say: Say): Promise<void> {
  let c = await api<CaseSeen>(admin, 'GET', `/v1/cases/${caseId}`);
  while (!c.steps[0]?.actionId) {
    await sleep(250);
    c = await api<CaseSeen>(admin, 'GET', `/v1/cases/${caseId}`);
  }
  const taskId = c.steps[0]!.actionId!;
  const task = await api<{ assignee: string | null }>(admin, 'GET', `/v1/actions/${taskId}`);
  const who = task.assignee ?? DEMO_PEOPLE[0];
  say(`case: the approval waits on queue hr, assigned to ${who} (round robin); ${who} picks it up in ${OPERATOR_DELAY_MS / 1000} s`);
  await sleep(OPERATOR_DELAY_MS);
  const as: BulkClient = { url: base, key: keys[who]! };
  try {
    await api(as, 'POST', `/v1/actions/${taskId}/pick-up`);
    say(`case: ${who} picked up the approval`);
    await sleep(2000);
    await api(as, 'POST', `/v1/actions/${taskId}/complete`, { resolution: 'done_successfully', note: 'Approved: welcome aboard' });
    say(`case: ${who} completed the approval (Done); the case moves on to the ticket, the message and the SMS`);
  } catch (e) {
    // Someone watching took the task in the UI first: it is theirs to finish.
    say(`case: the approval was taken in the meantime (${(e as Error).message.slice(0, 80)}); finish it in the UI`);
  }
  for (;;) {
    c = await api<CaseSeen>(admin, 'GET', `/v1/cases/${caseId}`);
    if (c.status === 'closed') break;
    await sleep(250);
  }
  say(`case: closed; steps ${c.steps.map((s) => `${s.name} ${s.status}`).join(', ')}`);
}

async function followBulk(admin: BulkClient, id: string, say: Say): Promise<void> {
  const report = await waitForBulk(admin, id, undefined, { intervalMs: 500 });
  const refused = await refusedRows(admin, id);
  say(`bulk launch: ${report.launched} launched, ${report.refused} refused of ${report.total} rows`);
  for (const r of refused) say(`  row ${r.row} refused: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
}
