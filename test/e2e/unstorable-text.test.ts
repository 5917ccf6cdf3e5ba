// An outside probe (session 21): on PostgreSQL, an external system answering with a NUL character or a
// lone surrogate ({"ok":"a\u0000b"}) made the outcome's write fail, and the action was sent again at
// every lease, for ever, with nothing on its timeline; a launch carrying one was a 500. PostgreSQL now
// keeps U+FFFD in their place.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, type Harness } from '../helpers/harness.ts';
import { storeHarnesses } from '../helpers/store-harnesses.ts';
import { storableText } from '../../src/store/postgres/storable-text.ts';

let server: Server;
let hits = 0;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    // JSON escapes, as an external system would send them: a NUL, and a high surrogate with no low one.
    const body = req.url === '/raw' ? 'before\u0000after' : '{"ok":"a\\u0000b","lone":"x\\ud800y","pair":"\\ud83d\\ude00"}';
    res.writeHead(200, { 'content-type': req.url === '/raw' ? 'text/plain' : 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

for (const backend of storeHarnesses)
  describe(`${backend.name}: text a store cannot keep`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await backend.open();
      await connector(h, { baseUrl: url, auth: { type: 'none' } });
      await actionType(h, { name: 'echoing', path: '/json', response: { output: '{ "ok": ok, "lone": lone, "pair": pair }' } });
      await actionType(h, { name: 'raw', path: '/raw', fields: { Title: { type: 'string', required: false } } });
    });
    afterAll(async () => h?.close());

    it('an answer carrying a NUL or a lone surrogate is kept, and the action closes after one send', async () => {
      const before = hits;
      const a = await launch(h, 'echoing', {});
      const done = await h.waitFor(a.id, (x) => x.state === 'closed');
      expect(done).toMatchObject({ resolution: 'done_successfully', attempts: 1 });
      const raw = await launch(h, 'raw', {});
      expect(await h.waitFor(raw.id, (x) => x.state === 'closed')).toMatchObject({ resolution: 'done_successfully', attempts: 1 });
      expect(hits - before).toBe(2);
      const out = done.output as { ok: string; lone: string; pair: string };
      expect(out.pair).toBe('😀');
      if (backend.name === 'PostgreSQL') expect(out).toMatchObject({ ok: 'a\uFFFDb', lone: 'x\uFFFDy' });
      else expect(out).toMatchObject({ ok: 'a\u0000b', lone: 'x\ud800y' });
      const tl = (await h.api('GET', `/v1/actions/${raw.id}/timeline`)).body.items;
      expect(JSON.stringify(tl)).toContain('after');
    });

    it('a launch carrying one is taken; PostgreSQL keeps U+FFFD in its place, SQLite the character', async () => {
      const r = await h.api('POST', '/v1/actions', '{"actionType":"raw","input":{"Title":"a\\u0000b \\udc00 \\ud83d\\ude00"}}', {
        'content-type': 'application/json',
      });
      expect(r.status).toBe(201);
      const kept = (await h.api('GET', `/v1/actions/${r.body.id}`)).body.input.Title;
      expect(kept).toBe(backend.name === 'PostgreSQL' ? 'a\uFFFDb \uFFFD 😀' : 'a\u0000b \udc00 😀');
    });
  });

describe('storableText', () => {
  it('replaces NUL characters, and in JSON text NUL and lone surrogate escapes at any level, and nothing else', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText(JSON.stringify({ a: 'x\u0000y', b: 'p\ud800q', c: '😀', d: '\\u0000' }))).toBe(
      '{"a":"x\\ufffdy","b":"p\\ufffdq","c":"😀","d":"\\\\ufffd"}',
    );
    expect(storableText(JSON.stringify(['\udc00\udc00']))).toBe('["\\ufffd\\ufffd"]');
    // A JSON column inside a recordset's JSON: the inner escape is one level down.
    expect(JSON.parse(JSON.parse(storableText(JSON.stringify([{ output: JSON.stringify({ ok: 'a\u0000b' }) }])))[0].output)).toEqual({
      ok: 'a\uFFFDb',
    });
    expect(storableText('plain text with \\u0000 written out')).toBe('plain text with \\u0000 written out');
  });
});
