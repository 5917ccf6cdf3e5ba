// Attack on the bulk replay preview (the requests a retry would send, secrets masked) and on the kept
// runs (GET /v1/bulk-replays/{id}), over HTTP on a real SQLite file and on PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from '../helpers/pg.ts';

/** A callback token is `<action id>.<32-character MAC>`. */
const TOKEN_LENGTH = 36 + 1 + 32;

for (const onPostgres of [false, true])
  describe(onPostgres ? 'PostgreSQL' : 'SQLite', () => {
    const schema = freshSchema('s40replay');
    let h: Harness;
    // An external system that refuses every request and echoes its body back (as many error pages do).
    let echo: Server;
    beforeAll(async () => {
      echo = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end(Buffer.concat(chunks)));
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      h = await startHarness(
        onPostgres
          ? {
              callout: {
                store: new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) }),
                secretKey: randomBytes(32).toString('hex'),
              },
            }
          : {},
      );
      await connector(h);
      await actionType(h, {
        name: 'cb',
        path: '/reject/x',
        fields: { Pad: { type: 'string' } },
        body: { format: 'json', template: '{"pad": "{{ Pad }}", "cb": "{{ $callbackUrl }}"}' },
        retry: { maxRetries: 0 },
      });
      await connector(h, { name: 'echo', baseUrl: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`, auth: { type: 'none' } });
      await actionType(h, {
        name: 'cb-echo',
        connector: 'echo',
        path: '/x',
        fields: { Pad: { type: 'string' } },
        body: { format: 'json', template: '{"pad": "{{ Pad }}", "cb": "{{ $callbackUrl }}"}' },
        retry: { maxRetries: 0 },
      });
    });
    afterAll(async () => {
      echo?.close();
      await h?.close();
      if (onPostgres) await dropSchema(schema);
    });

    const preview = async (): Promise<Array<{ id: string; request?: { body: string } }>> => {
      const r = await h.api('POST', '/v1/bulk-replays', { filter: { actionType: 'cb', state: 'todo' }, operation: 'retry', dryRun: true });
      expect(r.status).toBe(200);
      return r.body.requests;
    };

    it('a body cut to its excerpt never shows most of a callback token (preview and attempt record)', async () => {
      const probe = await launch(h, 'cb', { Pad: 'x' });
      await h.waitFor(probe.id, (a) => a.state === 'todo');
      const at = (await preview()).find((r) => r.id === probe.id)!.request!.body.indexOf('[callback token]');
      expect(at).toBeGreaterThan(0);
      // Padded so that the 4,096-character excerpt ends two characters before the token does.
      const a = await launch(h, 'cb', { Pad: 'x'.repeat(1 + 4096 - (at + TOKEN_LENGTH - 2)) });
      await h.waitFor(a.id, (x) => x.state === 'todo');
      const leaked = new RegExp(`${a.id}\\.[A-Za-z0-9_-]`);
      const timeline = JSON.stringify((await h.api('GET', `/v1/actions/${a.id}/timeline?limit=200`)).body);
      expect(timeline).toContain('xxxxxxxxxx');
      expect(timeline).not.toMatch(leaked);
      expect((await preview()).find((r) => r.id === a.id)!.request!.body).not.toMatch(leaked);

      // Echoed back in the answer: its excerpts (4,096 characters in the record, 300 in the rejection) neither.
      for (const cut of [4096, 300]) {
        const e = await launch(h, 'cb-echo', { Pad: 'x'.repeat(1 + cut - (at + TOKEN_LENGTH - 2)) });
        await h.waitFor(e.id, (x) => x.state === 'todo');
        const text = JSON.stringify((await h.api('GET', `/v1/actions/${e.id}/timeline?limit=200`)).body);
        expect(text, `cut at ${cut}`).toContain('[callback token]');
        expect(text, `cut at ${cut}`).not.toMatch(new RegExp(`${e.id}\\.[A-Za-z0-9_-]`));
      }
    });

    it('a run is its owner’s: another operator, a builder and a scraper read nothing of it', async () => {
      const key = async (name: string, roles: string[]): Promise<Record<string, string>> => ({
        authorization: `Bearer ${(await h.api('POST', '/v1/api-keys', { name, roles })).body.key as string}`,
      });
      const owner = await key('run-owner', ['operator']);
      const run = await h.api('POST', '/v1/bulk-replays', { filter: { actionType: 'nothing-matches' }, operation: 'retry' }, owner);
      // No such action type: a clear refusal, or an empty run; either way nothing to read for others.
      const id = run.body.id as string | undefined;
      if (run.status === 200) {
        expect((await h.api('GET', `/v1/bulk-replays/${id}`, undefined, owner)).status).toBe(200);
        expect((await h.api('GET', `/v1/bulk-replays/${id}`, undefined, await key('run-other', ['operator']))).status).toBe(404);
        for (const role of ['builder', 'metrics'])
          expect((await h.api('GET', `/v1/bulk-replays/${id}`, undefined, await key(`run-${role}`, [role]))).status).toBe(403);
      } else expect(run.status).toBe(422);
      // Hostile ids and paging: a 404 or a 400, never a 500.
      for (const path of ['/v1/bulk-replays/..%2f..%2fetc', "/v1/bulk-replays/x'%20OR%201=1--", `/v1/bulk-replays/${'a'.repeat(5000)}`])
        expect([400, 404, 414]).toContain((await h.api('GET', path, undefined, owner)).status);
      if (id)
        for (const q of ['afterItem=-1', 'afterItem=1e9', 'limit=0', 'limit=99999', 'limit=abc'])
          expect([200, 400, 422], q).toContain((await h.api('GET', `/v1/bulk-replays/${id}?${q}`, undefined, owner)).status);
    });
  });
