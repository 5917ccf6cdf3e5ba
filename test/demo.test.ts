// `npm run demo` end to end, as a child process on a temporary data folder: the case moves through
// its process (the demo's operator picks up and completes the manual approval) and closes, and the
// bulk launch of 200 CSV rows finishes with its 2 refused rows; a second start on the same folder
// seeds again and does the same.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './helpers/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-demo-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Demo {
  proc: ChildProcess;
  out(): string;
}

function startDemo(port: number): Demo {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo'], {
    env: {
      ...process.env,
      CALLOUT_DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      CALLOUT_ADMIN_KEY: '',
      CALLOUT_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

async function until<T>(what: string, demo: Demo, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (demo.proc.exitCode !== null) throw new Error(`the demo exited (${demo.proc.exitCode}) before ${what}:\n${demo.out()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms:\n${demo.out()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runDemo(): Promise<void> {
  const started = Date.now();
  const port = await freePort();
  const demo = startDemo(port);
  const base = `http://127.0.0.1:${port}`;
  const intro = await until('the intro', demo, () => (demo.out().includes('Actions as they move') ? demo.out() : undefined));
  // The first line people read is where to open the UI.
  expect(intro.split('\n').find((l) => l.trim() !== '')).toBe(`Callout web UI: ${base}/ui/work  (sign in with the API key below)`);
  const key = /API key for this demo: (\S+)/.exec(intro)![1]!;
  const caseId = new RegExp(`${base}/ui/cases/(\\S+)`).exec(intro)![1]!;
  const bulkId = /\/v1\/bulk-launches\/([^?\s']+)/.exec(intro)![1]!;
  const get = async (path: string): Promise<any> => {
    const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status, path).toBe(200);
    return r.json();
  };

  // The demo's webhook receiver verifies every delivery's signature with the standardwebhooks package.
  await until('a verified webhook', demo, () =>
    /webhook receiver: action\.launched .*\(signature verified\)/.test(demo.out()) ? true : undefined,
  );
  expect(demo.out()).not.toContain('webhook receiver: refused');
  const closed = await until('the case closing', demo, async () => {
    const c = await get(`/v1/cases/${caseId}`);
    return c.status === 'closed' ? c : undefined;
  });
  expect(closed).toMatchObject({ process: 'onboard-starter', owner: 'alice' });
  expect(closed.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
    'approve:done',
    'ticket:done',
    'message:done',
    'notify:done',
  ]);
  // The approval was allocated round robin to a member of hr, and that person did the work.
  const task = await get(`/v1/actions/${closed.steps[0].actionId}`);
  expect(task).toMatchObject({ state: 'closed', resolution: 'done_successfully', queue: 'hr' });
  expect(['alice', 'bob']).toContain(task.assignee);
  const timeline: Array<{ actor: string }> = (await get(`/v1/actions/${task.id}/timeline`)).items;
  expect(timeline.some((e) => e.actor.includes(task.assignee))).toBe(true);
  // The SMS got the text the map step made from the ticket number.
  const sms = closed.actions.find((a: { id: string }) => a.id === closed.steps[3].actionId);
  expect(sms.input).toEqual({ To: '+4420 7946 0100', Text: `Ticket ${closed.data.ticketNo}` });
  // Its output is the message's id, not the vendor's whole answer, and so is what the case keeps of it
  // (merged when the SMS is answered: the step does not wait for it, so the case may close first).
  const messaged = await until('the SMS output merged into the case', demo, async () => {
    const c = await get(`/v1/cases/${caseId}`);
    return c.data.smsId !== undefined ? c : undefined;
  });
  expect(messaged.data.smsId).toMatch(/^EXT-/);
  expect(messaged.data).not.toHaveProperty('echo');
  expect(messaged.data).not.toHaveProperty('ok');

  const report = await until('the bulk report finishing', demo, async () => {
    const r = await get(`/v1/bulk-launches/${bulkId}?limit=1000`);
    return r.status === 'done' ? r : undefined;
  });
  expect(report).toMatchObject({ total: 200, launched: 198, refused: 2 });
  expect(report.rows.filter((r: { status: string }) => r.status === 'refused').map((r: { row: number }) => r.row)).toEqual([37, 142]);
  // The report the intro prints opens on a refused row, so the first look shows one.
  const printed = new RegExp(`${base}(/v1/bulk-launches/[^']+)'`).exec(intro)![1]!;
  expect((await get(printed)).rows[0]).toMatchObject({ row: 37, status: 'refused', errors: [{ field: 'Priority' }] });
  await until('the printed report and case', demo, () =>
    demo.out().includes('bulk launch: 198 launched, 2 refused of 200 rows') && demo.out().includes('case: closed') ? true : undefined,
  );
  expect(demo.out()).toContain('row 37 refused: Priority: must be an integer');
  // The bulk launch's some 400 events are counted, not printed one by one (they buried the intro).
  await until('the bulk launch events summed up', demo, () =>
    /webhook receiver: \d+ more events of actions outside a case/.test(demo.out()) ? true : undefined,
  );
  const eventLines = demo
    .out()
    .split('\n')
    .filter((l) => / webhook receiver: action\./.test(l));
  expect(eventLines.length).toBeLessThan(100);

  // What fails waits for a person on a queue that exists, given to one of its members (the refused
  // charge went to a `finance` queue nobody had made, where no one would ever see it).
  const queues = new Set((await get('/v1/queues')).items.map((q: { name: string }) => q.name));
  expect([...queues]).toEqual(expect.arrayContaining(['hr', 'service-desk', 'finance']));
  const refusedCharge = await until('the refused charge in To Do', demo, async () =>
    (await get('/v1/actions?state=todo&limit=100')).items.find((a: { queue: string | null }) => a.queue === 'finance'),
  );
  expect(['alice', 'bob']).toContain(refusedCharge.assignee);
  for (const a of (await get('/v1/actions?limit=100')).items as Array<{ queue: string | null }>)
    if (a.queue !== null) expect(queues, a.queue).toContain(a.queue);

  // An earlier run on this folder leaves nothing behind that still works: its receiver's subscription
  // (a port now gone, retried for days) is replaced, and its keys are revoked.
  const receiver = /A webhook receiver \((http[^)]+)\)/.exec(intro)![1]!;
  const subs = (await get('/v1/webhooks')).items.filter((w: { description?: string }) => w.description === 'The demo webhook receiver');
  expect(subs.map((w: { url: string }) => w.url)).toEqual([receiver]);
  const live = (await get('/v1/api-keys')).items.filter(
    (k: { name: string; revokedAt: string | null }) => /^demo-/.test(k.name) && k.revokedAt === null,
  );
  expect(live.length).toBeGreaterThan(0);
  for (const k of live as Array<{ name: string; createdAt: string }>)
    expect(Date.parse(k.createdAt), k.name).toBeGreaterThanOrEqual(started);

  const exited = new Promise<number | null>((resolve) => demo.proc.once('exit', (code) => resolve(code)));
  demo.proc.kill('SIGTERM');
  expect(await exited).toBe(0);
}

it('the demo moves a case through its process with a manual step to closed, and finishes a bulk launch; again on the same folder', async () => {
  await runDemo();
  await runDemo();
}, 240_000);

it("with no data folder named, the demo keeps its store in ./callout-demo, never in the installation's ./callout-data", async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'callout-demo-cwd-'));
  try {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', CALLOUT_LOG_LEVEL: 'error' };
    delete env.CALLOUT_DATA_DIR;
    const proc = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'callout.js'), 'demo', '--no-launch'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const demo = { proc, out: () => out };
    await until('the server', demo, () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    );
    expect(existsSync(join(cwd, 'callout-demo', 'callout.db'))).toBe(true);
    expect(existsSync(join(cwd, 'callout-data'))).toBe(false);
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}, 90_000);
