// `callout bulk-launch` as a child process against a real Callout over loopback HTTP (both stores):
// a CSV with a refused row (printed, exit 1), the same file again (the first report, nothing launched
// again), a JSON file for a process, the progress bar on a terminal and in a log, and usage errors.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressBar, type BulkReport } from '../src/cli/bulk.ts';
import { actionType, connector, freePort, type Harness } from './helpers/harness.ts';
import { storeHarnesses } from './helpers/store-harnesses.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-cli-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Async, not spawnSync: the server under test runs in this process and must go on answering. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bulk-launch', ...args], {
      env: { ...process.env, CALLOUT_API_KEY: '', CALLOUT_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => (p.kill('SIGKILL'), reject(new Error(`bulk-launch timed out: ${stdout}${stderr}`))), 60_000);
    p.on('exit', (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
  });
}

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

for (const backend of storeHarnesses)
  describe(`${backend.name}: callout bulk-launch`, () => {
    let h: Harness;
    let env: Record<string, string>;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h);
      await actionType(h, { name: 'ticket', path: '/ok', fields: { Title: { type: 'string' }, Priority: { type: 'integer' } } });
      const created = await h.api('POST', '/v1/processes', {
        name: 'starter',
        steps: [{ name: 'open', kind: 'external', actionType: 'ticket', input: '{ "Title": case.name, "Priority": 1 }' }],
      });
      expect(created.status).toBe(201);
      // An integration key, not the admin key: the role the route names is enough.
      env = { CALLOUT_URL: h.url, CALLOUT_API_KEY: (await h.callout.apiKeys.create({ name: 'feeder', roles: ['integration'] })).key };
    });
    afterAll(async () => h?.close());

    const tickets = async (): Promise<number> => {
      let n = 0;
      let before: string | null = null;
      do {
        const page: { items: unknown[]; next: string | null } = (
          await h.api('GET', `/v1/actions?actionType=ticket&limit=500${before ? `&before=${before}` : ''}`)
        ).body;
        n += page.items.length;
        before = page.next;
      } while (before);
      return n;
    };

    it('a CSV with a refused row: the rest launch, the row is printed with its field error, exit 1; the same file again launches nothing', async () => {
      const rows = Array.from({ length: 120 }, (_, i) => `Laptop ${i + 1},${i === 41 ? 'high' : (i % 5) + 1}`);
      const csv = file(`tickets-${backend.name}.csv`, `Title,Priority\n${rows.join('\n')}\n`);
      const before = await tickets();
      const first = await cli([csv, '--action-type', 'ticket'], env);
      expect(first.status, first.stderr).toBe(1);
      expect(first.stdout).toContain('row 42 refused: Priority: must be an integer');
      const summary = /bulk launch (\S+): 119 launched, 1 refused of 120 rows/.exec(first.stdout);
      expect(summary, first.stdout).not.toBeNull();
      // Not a terminal: a line per 10 % at most, the last one complete.
      const progress = first.stderr.trim().split('\n');
      expect(progress.length).toBeLessThanOrEqual(11);
      expect(progress.at(-1)).toBe('120/120 rows (100 %): 119 launched, 1 refused');
      expect(first.stderr).not.toContain('\r');
      expect(await tickets()).toBe(before + 119);
      const report = (await h.api('GET', `/v1/bulk-launches/${summary![1]}`)).body;
      expect(report).toMatchObject({ status: 'done', total: 120, launched: 119, refused: 1 });

      const again = await cli([csv, '--action-type', 'ticket'], env);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain(`this file was launched before (bulk launch ${summary![1]})`);
      expect(again.stdout).toContain(`bulk launch ${summary![1]}: 119 launched, 1 refused of 120 rows`);
      expect(again.stdout).toContain('row 42 refused: Priority: must be an integer');
      // Given time to go wrong, nothing more was launched.
      await new Promise((r) => setTimeout(r, 300));
      expect(await tickets()).toBe(before + 119);
    });

    it('a JSON file for a process: one case per row, exit 0', async () => {
      const json = file(`starters-${backend.name}.json`, JSON.stringify({ rows: [{ name: 'Ada' }, { name: 'Lin' }] }));
      const r = await cli([json, '--process', 'starter'], env);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const id = /bulk launch (\S+): 2 launched, 0 refused of 2 rows/.exec(r.stdout)?.[1];
      expect(id, r.stdout).toBeDefined();
      const report = (await h.api('GET', `/v1/bulk-launches/${id}`)).body;
      // The cases exist with their rows' data; moving them on is the case worker's (tested elsewhere).
      const names = (await Promise.all(report.rows.map(async (row: { id: string }) => (await h.api('GET', `/v1/cases/${row.id}`)).body)))
        .map((c) => c.data.name)
        .sort();
      expect(names).toEqual(['Ada', 'Lin']);
    });

    it('a JSON file that starts with a byte order mark (as Windows tools save it) launches its rows', async () => {
      const json = file(`bom-${backend.name}.json`, `\uFEFF${JSON.stringify([{ Title: 'bom', Priority: 1 }])}`);
      const r = await cli([json, '--action-type', 'ticket'], env);
      expect([r.status, r.stderr], r.stdout).toEqual([0, expect.any(String)]);
      expect(r.stdout).toMatch(/: 1 launched, 0 refused of 1 rows\n$/);
    });

    it('a CSV for a process with --title-column and --owner-column: each case titled and owned, those cells not in its data; the same file again launches nothing', async () => {
      const owner = `owner-${backend.name.toLowerCase()}`;
      expect((await h.api('POST', '/v1/users', { name: owner })).status).toBe(201);
      const csv = file(`owned-${backend.name}.csv`, `name,manager,team\nAda,${owner},blue\n,${owner},red\n`);
      const flags = [csv, '--process', 'starter', '--title-column', 'name', '--owner-column', 'manager'];
      const r = await cli(flags, env);
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('row 2 refused: name: is empty');
      const id = /bulk launch (\S+): 1 launched, 1 refused of 2 rows/.exec(r.stdout)?.[1];
      expect(id, r.stdout).toBeDefined();
      const report = (await h.api('GET', `/v1/bulk-launches/${id}`)).body;
      expect(report).toMatchObject({ process: 'starter', titleColumn: 'name', ownerColumn: 'manager' });
      const c = (await h.api('GET', `/v1/cases/${report.rows[0].id}`)).body;
      expect(c).toMatchObject({ title: 'Ada', owner });
      expect(c.data).toEqual({ team: 'blue' });
      const again = await cli(flags, env);
      expect(again.stderr).toContain(`this file was launched before (bulk launch ${id})`);
      // A column the header does not have: the whole request is refused, naming the setting.
      const misspelt = await cli([csv, '--process', 'starter', '--title-column', 'Name'], env);
      expect(misspelt.status).toBe(2);
      expect(misspelt.stderr).toContain('titleColumn: names the column "Name", which the header does not have');
    });

    it('refusals of the whole request are named and exit 2, launching nothing', async () => {
      const csv = file(`bad-${backend.name}.csv`, 'Title,Colour\nDesk,red\n');
      const before = await tickets();
      const badColumn = await cli([csv, '--action-type', 'ticket'], env);
      expect(badColumn.status).toBe(2);
      expect(badColumn.stderr).toContain('header[1]: "Colour" is not a field of this action type');
      const wrongKey = await cli([csv, '--action-type', 'ticket'], { ...env, CALLOUT_API_KEY: 'co_not-a-key' });
      expect(wrongKey.status).toBe(2);
      expect(wrongKey.stderr).toContain('401');
      const unknown = await cli([csv, '--action-type', 'nope'], env);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain('actionType: no action type "nope" exists');
      // Said once, on its own line: not also in the problem's detail on the first line.
      expect(unknown.stderr.split('no action type "nope" exists')).toHaveLength(2);
      expect(await tickets()).toBe(before);
    });
  });

describe('callout bulk-launch without a server', () => {
  it('flags are checked before anything is sent', async () => {
    const csv = file('any.csv', 'Title\nx\n');
    const both = await cli([csv, '--action-type', 'a', '--process', 'b', '--key', 'k']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--action-type: give exactly one of --action-type or --process');
    const titled = await cli([csv, '--action-type', 'a', '--title-column', 'Title', '--key', 'k']);
    expect(titled.status).toBe(2);
    expect(titled.stderr).toContain('--title-column: is only for --process');
    const noKey = await cli([csv, '--action-type', 'a']);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('--key: is required (or set CALLOUT_API_KEY)');
    const text = await cli([file('rows.txt', 'x'), '--action-type', 'a', '--key', 'k']);
    expect(text.stderr).toContain('file: must end in .csv or .json');
    const port = await freePort();
    // Refused before anything is sent (nothing listens at the URL): it was launched with "M\uFFFDller".
    const latin1 = join(dir, 'latin1.json');
    writeFileSync(latin1, Buffer.from('[{"Name": "M\xfcller"}]', 'latin1'));
    const notUtf8 = await cli([latin1, '--action-type', 'a', '--key', 'k', '--url', `http://127.0.0.1:${port}`]);
    expect([notUtf8.status, notUtf8.stderr.trim().split('\n').at(-1)]).toEqual([2, '  file: is not UTF-8 text: save it encoded as UTF-8']);
    const down = await cli([csv, '--action-type', 'a', '--key', 'k', '--url', `http://127.0.0.1:${port}`]);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`cannot reach Callout at http://127.0.0.1:${port}`);
  });

  it('the progress bar: one line rewritten with \\r on a terminal, a line per 10 % elsewhere', () => {
    const report = (done: number): BulkReport => ({
      id: 'b',
      status: 'running',
      total: 200,
      launched: done,
      refused: 0,
      rows: [],
      nextRow: null,
    });
    let tty = '';
    const bar = progressBar({ isTTY: true, write: (s: string) => (tty += s) });
    for (let d = 0; d <= 200; d += 7) bar.update(report(d));
    bar.end();
    expect(tty.split('\n')).toHaveLength(2);
    expect(tty.startsWith('\r[')).toBe(true);
    expect(tty).toContain('] 196/200 rows (98 %)');

    let log = '';
    const plain = progressBar({ isTTY: false, write: (s: string) => (log += s) });
    for (let d = 0; d <= 200; d += 1) plain.update(report(d));
    plain.end();
    const lines = log.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('0/200 rows (0 %): 0 launched, 0 refused');
    expect(lines[5]).toBe('100/200 rows (50 %): 100 launched, 0 refused');
    expect(log).not.toContain('\r');
  });
});
