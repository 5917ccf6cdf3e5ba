// Bulk launches over HTTP on a real SQLite file and on PostgreSQL: JSON and CSV rows, refused rows
// with their field errors, progress, Idempotency-Key repeats, a run resumed after its node stopped,
// limits and roles.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { actionType, connector, startHarness, type Harness } from '../helpers/harness.ts';
import { rowLaunchKey } from '../../src/bulk-launches/runner.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

let h: Harness;
for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('bulke2e');
    beforeAll(async () => {
      h = await startHarness(
        onPostgres
          ? {
              callout: {
                store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) }),
                secretKey: '0'.repeat(64),
              },
            }
          : {},
      );
      await connector(h);
      await actionType(h, {
        name: 'ticket',
        path: '/ok',
        body: { format: 'json', template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' },
        fields: { Priority: { type: 'integer' } },
      });
    });
    afterAll(async () => {
      await h.close();
      if (onPostgres) await dropSchema(schema);
    });

    async function done(id: string, timeoutMs = 20_000): Promise<any> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = (await h.api('GET', `/v1/bulk-launches/${id}`)).body;
        if (r.status !== 'running') return r;
        if (Date.now() > deadline) throw new Error(`bulk launch ${id} still running: ${JSON.stringify(r).slice(0, 300)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }

    const csv = (text: string, query: string, headers: Record<string, string> = {}) =>
      h.api('POST', `/v1/bulk-launches?${query}`, text, { 'content-type': 'text/csv', ...headers });

    describe('bulk launch', () => {
      it('JSON rows: each row launches or is refused with its number and the fields at fault', async () => {
        const r = await h.api('POST', '/v1/bulk-launches', {
          actionType: 'ticket',
          rows: [{ Title: 'A', Priority: 1 }, { Title: 'B', Priority: 'high' }, { Priority: 3 }, { Title: 'D', Priority: 4, Extra: 1 }],
        });
        expect(r.status).toBe(201);
        expect(r.headers.location).toBe(`/v1/bulk-launches/${r.body.id}`);
        // Up to a page of rows, the answer waits for the launch: its 201 is the whole report, ids and all (SPEC 10.1).
        const report = await done(r.body.id);
        expect(r.body).toEqual(report);
        expect(report).toMatchObject({ id: r.body.id, status: 'done', total: 4, launched: 1, refused: 3, nextRow: null });
        expect(report.rows).toEqual([
          { row: 1, status: 'launched', id: expect.any(String) },
          { row: 2, status: 'refused', errors: [{ field: 'Priority', message: 'must be an integer' }] },
          { row: 3, status: 'refused', errors: [{ field: 'Title', message: 'is required' }] },
          { row: 4, status: 'refused', errors: [{ field: 'Extra', message: 'is not a field of this action type' }] },
        ]);
        const a = await h.waitFor(report.rows[0].id, (x) => x.state === 'closed');
        expect(a.input).toEqual({ Title: 'A', Priority: 1 });
        const tl = (await h.api('GET', `/v1/actions/${a.id}/timeline`)).body.items;
        expect(tl[0].actor).toBe('user:CALLOUT_ADMIN_KEY'); // the key's name acts
      });

      it('a CSV body with refused rows, and the same Idempotency-Key again returns the first report and launches nothing', async () => {
        const body = 'Title,Priority\nLaptop,7\nPhone,seven\n"Desk, standing",2\n';
        const first = await csv(body, 'actionType=ticket', { 'idempotency-key': 'csv-once' });
        expect(first.status).toBe(201);
        const report = await done(first.body.id);
        expect(first.body).toEqual(report);
        expect(report).toMatchObject({ total: 3, launched: 2, refused: 1 });
        expect(report.rows[1]).toEqual({ row: 2, status: 'refused', errors: [{ field: 'Priority', message: 'must be an integer' }] });
        const before = (await h.api('GET', '/v1/actions?actionType=ticket&limit=500')).body.items.length;
        const again = await csv(body, 'actionType=ticket', { 'idempotency-key': 'csv-once' });
        expect(again.status).toBe(200);
        expect(again.body).toEqual(report);
        expect((await h.api('GET', '/v1/actions?actionType=ticket&limit=500')).body.items.length).toBe(before);
        // The key with other rows is a conflict, not a silent second launch.
        const other = await csv('Title,Priority\nX,1\n', 'actionType=ticket', { 'idempotency-key': 'csv-once' });
        expect(other.status).toBe(409);
      });

      it('refuses a bad header, a missing or double target, and a query beside a JSON body: 422 naming the field, nothing stored', async () => {
        const bad = await csv('Title,Prio\nA,1\n', 'actionType=ticket', { 'idempotency-key': 'bad-header' });
        expect(bad.status).toBe(422);
        expect(bad.headers['content-type']).toContain('application/problem+json');
        expect(bad.body.errors).toEqual([{ field: 'header[1]', message: '"Prio" is not a field of this action type' }]);
        // Nothing was stored under the key: the corrected body goes through with it.
        expect((await csv('Title,Priority\nA,1\n', 'actionType=ticket', { 'idempotency-key': 'bad-header' })).status).toBe(201);
        expect((await csv('Title\nA\n', '')).body.errors).toEqual([
          { field: 'actionType', message: expect.stringContaining('exactly one') },
        ]);
        expect((await csv('Title\nA\n', 'actionType=ticket&process=p')).body.errors[0].field).toBe('process');
        expect((await csv('Title\nA\n', 'actionType=nope')).body.errors).toEqual([
          { field: 'actionType', message: 'no action type "nope" exists' },
        ]);
        const q = await h.api('POST', '/v1/bulk-launches?actionType=ticket', { actionType: 'ticket', rows: [] });
        expect(q.body.errors).toEqual([{ field: 'actionType', message: expect.stringContaining('JSON body') }]);
        const extra = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows: [], mode: 'fast' });
        expect(extra.status).toBe(422);
        expect(extra.body.errors).toEqual([{ field: 'mode', message: 'is not a known field' }]);
      });

      it('a JSON row nested too deep refuses the request, naming the row; a CSV json cell too deep refuses its row', async () => {
        await actionType(h, { name: 'with-json', path: '/ok', fields: { Extra: { type: 'json', required: false } } });
        let deep: unknown = 1;
        for (let i = 0; i < 40; i++) deep = [deep];
        const r = await h.api('POST', '/v1/bulk-launches', { actionType: 'with-json', rows: [{}, { Extra: deep }] });
        expect(r.status).toBe(422);
        expect(r.body.errors).toEqual([{ field: 'rows[1]', message: expect.stringContaining('nested deeper than 32') }]);
        // Past what any route parses (1,000 levels), refused before parsing, naming the top-level field.
        const deeper = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
        const d = await h.api('POST', '/v1/bulk-launches', `{"actionType": "with-json", "rows": [{"Extra": ${deeper}}]}`);
        expect([d.status, d.body.errors]).toEqual([422, [{ field: 'rows', message: expect.stringContaining('nested deeper than 32') }]]);
        const cell = JSON.stringify(deep).replace(/"/g, '""');
        const c = await csv(`Extra\n"${cell}"\n`, 'actionType=with-json');
        const report = await done(c.body.id);
        expect(report.rows).toEqual([
          { row: 1, status: 'refused', errors: [{ field: '', message: expect.stringContaining('nested deeper') }] },
        ]);
      });

      it('a JSON body over 1 MB (read a row at a time) launches as a small one does, and is refused for what a small one is', async () => {
        const pad = '—é漢🎉 "quoted" \\ ]}'.repeat(700); // about 14 KB of JSON per row, multi-byte and escaped
        const rows = Array.from({ length: 100 }, (_, i) => ({ Title: `big ${i} ${pad}`, Priority: i === 7 ? 'seven' : i }));
        const text = JSON.stringify({ rows, actionType: 'ticket' }, null, 2);
        expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024);
        const r = await h.api('POST', '/v1/bulk-launches', text);
        expect([r.status, r.body.status, r.body.launched, r.body.refused]).toEqual([201, 'done', 99, 1]);
        expect(r.body.rows[7]).toEqual({ row: 8, status: 'refused', errors: [{ field: 'Priority', message: 'must be an integer' }] });
        const a = (await h.api('GET', `/v1/actions/${r.body.rows[99].id}`)).body;
        expect(a.input).toEqual({ Title: `big 99 ${pad}`, Priority: 99 });

        // Two rows of 600 KB: the body is over 1 MB, each row under what is read in one go.
        const filler = `"${'x'.repeat(600 * 1024)}"},{"Title":"${'x'.repeat(600 * 1024)}"`;
        const broken = await h.api('POST', '/v1/bulk-launches', `{"actionType":"ticket","rows":[{"Title":${filler}} {"Title":"b"}]}`);
        expect([broken.status, broken.body.detail]).toEqual([400, expect.stringContaining('not valid JSON')]);
        // One row larger than is read in one go is refused before it is read (it would hold the event loop).
        const huge = await h.api(
          'POST',
          '/v1/bulk-launches',
          `{"actionType":"ticket","rows":[{"Title":"${'x'.repeat(3 * 1024 * 1024)}"}]}`,
        );
        expect([huge.status, huge.body.errors]).toEqual([422, [{ field: 'rows', message: expect.stringContaining('read in one go') }]]);
        const proto = await h.api(
          'POST',
          '/v1/bulk-launches',
          `{"actionType":"ticket","rows":[{"Title":${filler}},{"__proto__":{"x":1}}]}`,
        );
        expect([proto.status, proto.body.detail]).toEqual([400, expect.stringContaining('__proto__')]);
        const deep = await h.api(
          'POST',
          '/v1/bulk-launches',
          `{"actionType":"ticket","rows":[{"Title":${filler}},{"Title":${'['.repeat(2000)}${']'.repeat(2000)}}]}`,
        );
        expect([deep.status, deep.body.errors]).toEqual([422, [{ field: 'rows', message: 'is nested deeper than 32 levels' }]]);
        const extra = await h.api('POST', '/v1/bulk-launches', `{"actionType":"ticket","rows":[{"Title":${filler}}],"Owner":"x"}`);
        expect([extra.status, extra.body.errors]).toEqual([422, [{ field: 'Owner', message: 'is not a known field' }]]);
        // A list instead of the object: the same answer whatever its size.
        const small = await h.api('POST', '/v1/bulk-launches', '[{"Title":"a"}]');
        const large = await h.api('POST', '/v1/bulk-launches', `[{"Title":${filler}}]`);
        expect([small.status, small.body.errors]).toEqual([422, [{ field: '', message: 'must be object' }]]);
        expect([large.status, large.body.errors]).toEqual([small.status, small.body.errors]);
        // The detail says what was wrong, not " must be object".
        expect([small.body.detail, large.body.detail]).toEqual(['the body must be object', 'the body must be object']);
      });

      it('a JSON body repeated with its Idempotency-Key and its fields in another order gets the first report; another body is a 409', async () => {
        // More rows than the hash takes between two turns of the event loop.
        const rows = Array.from({ length: 2_500 }, (_, i) => ({ Title: `ticket ${i} é`, Priority: i % 5 }));
        const first = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows }, { 'idempotency-key': 'json-once' });
        // More than a page of rows: the answer does not wait for the launch.
        expect([first.status, first.body.total]).toEqual([201, 2_500]);
        expect(first.body.launched).toBeLessThan(2_500);
        const reordered = rows.map((r) => ({ Priority: r.Priority, Title: r.Title }));
        const again = await h.api(
          'POST',
          '/v1/bulk-launches',
          { rows: reordered, actionType: 'ticket' },
          { 'idempotency-key': 'json-once' },
        );
        expect([again.status, again.body.id]).toEqual([200, first.body.id]);
        const changed = rows.map((r, i) => (i === 2_499 ? { ...r, Priority: 9 } : r));
        const other = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows: changed }, { 'idempotency-key': 'json-once' });
        expect(other.status).toBe(409);
        expect(await done(first.body.id, 60_000)).toMatchObject({ launched: 2_500 });
      });

      it('a body cut mid-way (an unclosed quote) fails the whole bulk launch, launching nothing', async () => {
        const r = await csv('Title,Priority\nA,1\n"B,2\n', 'actionType=ticket', { 'idempotency-key': 'cut' });
        expect(r.status).toBe(422);
        expect(r.body.errors[0]).toMatchObject({ field: 'body', message: expect.stringContaining('is not valid CSV') });
        const again = await csv('Title,Priority\nA,1\n"B,2\n', 'actionType=ticket', { 'idempotency-key': 'cut' });
        expect(again.status).toBe(422);
      });

      it('process rows become cases of the process, one per row', async () => {
        const made = await h.api('POST', '/v1/processes', {
          name: 'onboarding',
          steps: [{ name: 'welcome', kind: 'manual', title: 'Welcome the starter', queue: 'hr' }],
        });
        expect(made.status).toBe(201);
        const r = await csv('name,team\nSam,blue\nAmy,red\n', 'process=onboarding');
        expect(r.status).toBe(201);
        const report = await done(r.body.id);
        expect(r.body).toEqual(report);
        expect(report).toMatchObject({ process: 'onboarding', total: 2, launched: 2, refused: 0 });
        const c = (await h.api('GET', `/v1/cases/${report.rows[1].id}`)).body;
        expect(c.data).toEqual({ name: 'Amy', team: 'red' });
        expect(c).toMatchObject({ process: 'onboarding', status: 'open' });
        expect(c.steps).toMatchObject([{ name: 'welcome', kind: 'manual', status: 'waiting_for_person' }]);
      });

      describe('cases titled and owned from their columns', () => {
        beforeAll(async () => {
          expect((await h.api('POST', '/v1/users', { name: 'ollie' })).status).toBe(201);
          expect((await h.api('POST', '/v1/users', { name: 'gone' })).status).toBe(201);
          expect((await h.api('PATCH', '/v1/users/gone', { disabled: true })).status).toBe(200);
          const p = await h.api('POST', '/v1/processes', {
            name: 'intake',
            steps: [{ name: 'check', kind: 'manual', title: 'Check the account', queue: 'hr' }],
          });
          expect(p.status).toBe(201);
        });

        it('a CSV: each case gets its title and owner from the named columns, which are not kept in its data; bad cells refuse their row, naming the column', async () => {
          const long = 'x'.repeat(501);
          const body = `Customer,Manager,tier\n Acme Ltd ,ollie,gold\n,ollie,silver\nGlobex,nobody,bronze\n${long},ollie,tin\nInitech,,lead\nHooli,gone,gold\n`;
          const query = 'process=intake&titleColumn=Customer&ownerColumn=Manager';
          const r = await csv(body, query, { 'idempotency-key': 'titled-csv' });
          expect(r.status).toBe(201);
          const report = await done(r.body.id);
          expect(r.body).toEqual(report);
          expect(report).toMatchObject({
            process: 'intake',
            titleColumn: 'Customer',
            ownerColumn: 'Manager',
            total: 6,
            launched: 2,
            refused: 4,
          });
          expect(report.rows).toEqual([
            { row: 1, status: 'launched', id: expect.any(String) },
            { row: 2, status: 'refused', errors: [{ field: 'Customer', message: expect.stringContaining('is empty') }] },
            { row: 3, status: 'refused', errors: [{ field: 'Manager', message: expect.stringContaining('no user') }] },
            { row: 4, status: 'refused', errors: [{ field: 'Customer', message: expect.stringContaining('at most 500') }] },
            { row: 5, status: 'launched', id: expect.any(String) },
            { row: 6, status: 'refused', errors: [{ field: 'Manager', message: expect.stringContaining('disabled user') }] },
          ]);
          const acme = (await h.api('GET', `/v1/cases/${report.rows[0].id}`)).body;
          expect(acme).toMatchObject({ process: 'intake', title: 'Acme Ltd', owner: 'ollie', data: { tier: 'gold' } });
          expect(acme.data).toEqual({ tier: 'gold' });
          // An empty owner cell: the case has no owner.
          expect((await h.api('GET', `/v1/cases/${report.rows[4].id}`)).body).toMatchObject({
            title: 'Initech',
            owner: null,
            data: { tier: 'lead' },
          });

          // The same request again with its key: the first report, nothing launched again.
          const cases = async () => (await h.api('GET', '/v1/cases?limit=500')).body.items.length as number;
          const before = await cases();
          const again = await csv(body, 'ownerColumn=Manager&titleColumn=Customer&process=intake', { 'idempotency-key': 'titled-csv' });
          expect(again.status).toBe(200);
          expect(again.body).toEqual(report);
          expect(await cases()).toBe(before);
          // The same key with another title column is another request.
          expect((await csv(body, 'process=intake&titleColumn=tier&ownerColumn=Manager', { 'idempotency-key': 'titled-csv' })).status).toBe(
            409,
          );
        });

        it('JSON rows: the same, a non-text title refusing its row; a repeat with the key gets the first report, other columns a 409', async () => {
          const body = {
            process: 'intake',
            titleColumn: 'name',
            ownerColumn: 'manager',
            rows: [{ name: 'Umbrella', manager: 'ollie', seats: 40 }, { name: 7, manager: 'ollie' }, { manager: 'ollie' }],
          };
          const r = await h.api('POST', '/v1/bulk-launches', body, { 'idempotency-key': 'titled-json' });
          expect(r.status).toBe(201);
          const report = await done(r.body.id);
          expect(report.rows).toEqual([
            { row: 1, status: 'launched', id: expect.any(String) },
            { row: 2, status: 'refused', errors: [{ field: 'name', message: expect.stringContaining('must be text') }] },
            { row: 3, status: 'refused', errors: [{ field: 'name', message: expect.stringContaining('is empty') }] },
          ]);
          const c = (await h.api('GET', `/v1/cases/${report.rows[0].id}`)).body;
          expect(c).toMatchObject({ title: 'Umbrella', owner: 'ollie' });
          expect(c.data).toEqual({ seats: 40 });
          const again = await h.api('POST', '/v1/bulk-launches', { ...body, rows: body.rows }, { 'idempotency-key': 'titled-json' });
          expect(again.status).toBe(200);
          expect(again.body).toEqual(report);
          const other = await h.api('POST', '/v1/bulk-launches', { ...body, ownerColumn: undefined }, { 'idempotency-key': 'titled-json' });
          expect(other.status).toBe(409);
        });

        it('a column the header or rows do not have, or the settings with an action type: 422 naming the setting, nothing launched', async () => {
          const cases = async () => (await h.api('GET', '/v1/cases?limit=500')).body.items.length as number;
          const before = await cases();
          const bad = await csv('Customer,Manager\nAcme,ollie\n', 'process=intake&titleColumn=Client&ownerColumn=Manager', {
            'idempotency-key': 'titled-misspelt',
          });
          expect(bad.status).toBe(422);
          expect(bad.body.errors).toEqual([{ field: 'titleColumn', message: 'names the column "Client", which the header does not have' }]);
          // Nothing was stored under the key: the corrected request goes through with it.
          const fixed = await csv('Customer,Manager\nAcme,ollie\n', 'process=intake&titleColumn=Customer&ownerColumn=Manager', {
            'idempotency-key': 'titled-misspelt',
          });
          expect(fixed.status).toBe(201);
          expect(await cases()).toBe(before + 1);
          const json = await h.api('POST', '/v1/bulk-launches', {
            process: 'intake',
            ownerColumn: 'owner',
            rows: [{ name: 'A', manager: 'ollie' }],
          });
          expect(json.status).toBe(422);
          expect(json.body.errors).toEqual([{ field: 'ownerColumn', message: 'names the column "owner", which no row has' }]);
          const typed = await h.api('POST', '/v1/bulk-launches', {
            actionType: 'ticket',
            titleColumn: 'Title',
            rows: [{ Title: 'A', Priority: 1 }],
          });
          expect(typed.status).toBe(422);
          expect(typed.body.errors).toEqual([{ field: 'titleColumn', message: expect.stringContaining('only for a process') }]);
          const typedCsv = await csv('Title,Priority\nA,1\n', 'actionType=ticket&ownerColumn=Title');
          expect(typedCsv.body.errors).toEqual([{ field: 'ownerColumn', message: expect.stringContaining('only for a process') }]);
          expect(await cases()).toBe(before + 1);
          // In the query beside a JSON body, as the target is: it belongs in the body.
          const q = await h.api('POST', '/v1/bulk-launches?titleColumn=name', { process: 'intake', rows: [] });
          expect(q.body.errors).toEqual([{ field: 'titleColumn', message: expect.stringContaining('JSON body') }]);
        });

        it('a title column named __proto__ that the header lacks, or one column for both title and owner: 422 naming the setting, nothing stored', async () => {
          const cases = async () => (await h.api('GET', '/v1/cases?limit=500')).body.items.length as number;
          const before = await cases();
          // An object's own key "__proto__" cannot be set by assignment: the header check lost it and every row was refused instead.
          const proto = await csv('Customer,Manager\nAcme,ollie\n', 'process=intake&titleColumn=__proto__', {
            'idempotency-key': 'proto-col',
          });
          expect(proto.status, JSON.stringify(proto.body)).toBe(422);
          expect(proto.body.errors).toEqual([
            { field: 'titleColumn', message: 'names the column "__proto__", which the header does not have' },
          ]);
          // One column cannot be both: the case's title would be its owner's name (or the owner refused, naming the title's column).
          const both = await csv('Customer,Manager\nollie,ollie\n', 'process=intake&titleColumn=Manager&ownerColumn=Manager');
          expect(both.status, JSON.stringify(both.body)).toBe(422);
          expect(both.body.errors).toEqual([{ field: 'ownerColumn', message: expect.stringContaining('titleColumn') }]);
          const bothJson = await h.api('POST', '/v1/bulk-launches', {
            process: 'intake',
            titleColumn: 'name',
            ownerColumn: 'name',
            rows: [{ name: 'ollie' }],
          });
          expect(bothJson.status, JSON.stringify(bothJson.body)).toBe(422);
          expect(bothJson.body.errors).toEqual([{ field: 'ownerColumn', message: expect.stringContaining('titleColumn') }]);
          expect(await cases()).toBe(before);
          // The refused requests left no key behind: the corrected one goes through under it.
          const fixed = await csv('Customer,Manager\nAcme,ollie\n', 'process=intake&titleColumn=Customer', {
            'idempotency-key': 'proto-col',
          });
          expect(fixed.status, JSON.stringify(fixed.body)).toBe(201);
          expect(await cases()).toBe(before + 1);
        });
      });

      it('a run whose node stopped is resumed without launching a row twice', async () => {
        const rows = Array.from({ length: 30 }, (_, i) => ({ Title: `T${i}`, Priority: i }));
        // The runner is stopped first, so the request stores the rows and nothing launches them yet.
        await h.callout.bulkRunner.stop();
        const r = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows });
        expect(r.body).toMatchObject({ status: 'running', total: 30, launched: 0 });
        // As if the node had launched rows 1–10 and died before recording them.
        const type = (await h.api('GET', '/v1/action-types/ticket')).body;
        const ids = await h.callout.actions.launchMany(
          rows.slice(0, 10).map((input) => ({ actionType: type.id, input })),
          'user:CALLOUT_ADMIN_KEY',
          { launchKeys: rows.slice(0, 10).map((_, i) => rowLaunchKey(r.body.id, i + 1)) },
        );
        // Its lease runs out; this node takes the run over.
        h.callout.bulkRunner.start();
        // The run was this node's; a node "from the future" takes it and dies at once (its lease ended long ago).
        const taken = await h.callout.store.claimStaleBulkLaunches({ owner: 'dead-node', now: Date.now() + 3_600_000, until: 1 }, 10);
        expect(taken.map((b) => b.id)).toContain(r.body.id);
        await h.callout.bulkRunner.resumeStale();
        const report = await done(r.body.id);
        expect(report).toMatchObject({ status: 'done', total: 30, launched: 30, refused: 0 });
        expect(report.rows.slice(0, 10).map((x: { id: string }) => x.id)).toEqual(ids);
        const all = (await h.api('GET', '/v1/actions?actionType=ticket&limit=500')).body.items;
        const launchedTitles = all.map((a: { input: { Title: string } }) => a.input.Title).filter((t: string) => /^T\d+$/.test(t));
        expect(launchedTitles).toHaveLength(30);
      });

      it('pages a long report and refuses JSON rows beyond 100,000 and bodies beyond 50 MB', async () => {
        const rows = Array.from({ length: 2500 }, (_, i) => ({ Title: `P${i}`, Priority: i % 2 === 0 ? i : 'x' }));
        const r = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows });
        const first = await done(r.body.id, 60_000);
        expect(first).toMatchObject({ total: 2500, launched: 1250, refused: 1250, nextRow: 1000 });
        expect(first.rows).toHaveLength(1000);
        const second = (await h.api('GET', `/v1/bulk-launches/${r.body.id}?afterRow=1000&limit=2000`)).body;
        expect(second.rows[0].row).toBe(1001);
        expect(second.rows).toHaveLength(1500);
        expect(second.nextRow).toBeNull();
        expect((await h.api('GET', `/v1/bulk-launches/${r.body.id}?limit=0`)).body.errors).toEqual([
          { field: 'limit', message: 'must be from 1 to 10000' },
        ]);

        const tooMany = await h.api('POST', '/v1/bulk-launches', { actionType: 'ticket', rows: Array(100_001).fill({}) });
        expect(tooMany.status).toBe(422);
        expect(tooMany.body.errors[0].field).toBe('rows');
        // A body over 1 MB (read a row at a time) stops at the 100,001st row: 13 million rows are not all parsed first.
        const millions = await h.api('POST', '/v1/bulk-launches', `{"actionType":"ticket","rows":[${'{},'.repeat(13_000_000)}{}]}`);
        expect([millions.status, millions.body.errors]).toEqual([
          422,
          [{ field: 'rows', message: 'must NOT have more than 100000 items' }],
        ]);
        const big = await request(`${h.url}/v1/bulk-launches?actionType=ticket`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/csv' },
          body: `Title,Priority\n${'x,1\n'.repeat(13_200_000)}`,
        });
        expect(big.statusCode).toBe(413);
        await big.body.text();
        // Other routes keep their 5 MB limit and do not take CSV.
        const csvElsewhere = await h.api('POST', '/v1/actions', 'Title\nA\n', { 'content-type': 'text/csv' });
        expect(csvElsewhere.status).toBe(415);
        expect(csvElsewhere.body.detail).toBe('Send the body as application/json');
        // A CSV sent as a form (curl --data-binary without a content type) is told what this route reads.
        const form = await h.api('POST', '/v1/bulk-launches?actionType=ticket', 'Title\nA\n', {
          'content-type': 'application/x-www-form-urlencoded',
        });
        expect(form.status).toBe(415);
        expect(form.body.detail).toBe('Send the body as application/json or text/csv');
      });

      it('is in the OpenAPI document with its JSON and CSV bodies, beside replays and schedules', async () => {
        const doc = (await h.api('GET', '/openapi.json')).body;
        const content = doc.paths['/v1/bulk-launches'].post.requestBody.content;
        expect(Object.keys(content).sort()).toEqual(['application/json', 'text/csv']);
        expect(doc.paths['/v1/bulk-replays'].post).toBeDefined();
        expect(Object.keys(doc.paths['/v1/schedules/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
      });

      it('roles: operators and integrations launch in bulk, builders do not; every role reads', async () => {
        const key = async (name: string, roles: string[]) => (await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string;
        const as = (k: string, method: string, path: string, body?: unknown) =>
          request(`${h.url}${path}`, {
            method: method as 'GET',
            headers: { authorization: `Bearer ${k}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as any }));
        const body = { actionType: 'ticket', rows: [{ Title: 'R', Priority: 1 }] };
        const op = await as(await key('bulk-op', ['operator']), 'POST', '/v1/bulk-launches', body);
        expect(op.status).toBe(201);
        expect((await as(await key('bulk-int', ['integration']), 'POST', '/v1/bulk-launches', body)).status).toBe(201);
        const builder = await key('bulk-builder', ['builder']);
        expect((await as(builder, 'POST', '/v1/bulk-launches', body)).status).toBe(403);
        expect((await as(builder, 'GET', `/v1/bulk-launches/${op.body.id}`)).status).toBe(200);
      });
    });
  });
