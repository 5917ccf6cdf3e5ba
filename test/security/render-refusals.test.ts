// Values that would change where or what is sent: a path token that becomes a dot segment
// ("/tickets/{{ Id }}/close" with Id ".." would be "/close") and a header value with CR, LF or NUL.
// Refused at launch with a 422 naming input.<Field> and nothing stored; when the template changes
// after launch, the engine refuses the send (To Do, Invalid Input) and nothing goes out.

import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { actionType, connector, startHarness, type ApiResponse, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ start: false });
  await connector(h);
  await actionType(h, { name: 'close-ticket', path: '/tickets/{{ Id }}/close', headers: { 'X-Note': 'note: {{ Note }}' } });
});
afterAll(async () => h.close());

const launch = (input: Record<string, unknown>): Promise<ApiResponse> =>
  h.api('POST', '/v1/actions', { actionType: 'close-ticket', input: { Note: 'n', ...input } });

it('refuses at launch a path token that would become a dot segment, naming the field, and stores nothing', async () => {
  for (const Id of ['..', '.', '%2e%2E', '%2e', '.%2E', '%252e%252e']) {
    const r = await launch({ Id });
    expect(r.status, Id).toBe(422);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body.errors, Id).toEqual([{ field: 'input.Id', message: expect.stringContaining('dot segment') }]);
  }
  expect((await h.api('GET', '/v1/actions')).body.items).toHaveLength(0);
});

it('accepts dots that are not a whole segment', async () => {
  for (const Id of ['...', '.a', 'a..', 'v1.2', '../x']) expect((await launch({ Id })).status, Id).toBe(201);
});

it('refuses at launch a header value with CR, LF or NUL, naming the field', async () => {
  for (const Note of ['a\r\nX-Admin: true', 'a\nb', 'a\rb', 'a\u0000b']) {
    const r = await launch({ Id: '7', Note });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'input.Note', message: expect.stringContaining('line break') }]);
  }
});

it('refuses at launch a header value HTTP cannot carry (beyond Latin-1, controls), naming the field; Latin-1 goes through', async () => {
  for (const Note of ['caf\u0100', 'hi \u{1F600}', 'a\u0001b', 'a\u007fb']) {
    const r = await launch({ Id: '7', Note });
    expect(r.status, Note).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'input.Note', message: expect.stringContaining('a header value cannot hold') }]);
  }
  expect((await launch({ Id: '7', Note: 'café\tß' })).status).toBe(201);
});

it('a template changed after launch: the engine refuses the send (To Do, Invalid Input) and sends nothing', async () => {
  await actionType(h, { name: 'later', path: '/tickets?id={{ Id }}' });
  const r = await h.api('POST', '/v1/actions', { actionType: 'later', input: { Id: '..' } });
  expect(r.status).toBe(201); // in the query, dots are data
  const u = await h.api('PATCH', '/v1/action-types/later', { path: '/tickets/{{ Id }}/close' });
  expect(u.status).toBe(200);
  h.callout.start();
  const a = await h.waitFor(r.body.id, (x) => x.state !== 'waiting');
  expect(a).toMatchObject({ state: 'todo', reason: 'invalid_input', rejectedReason: expect.stringContaining('Id: would become') });
  expect(h.mock.log.filter((e) => e.key === a.id)).toHaveLength(0);
});

it('refuses when saved an action type whose path alone leaves the base URL (absolute, scheme-relative, a dot segment), naming path', async () => {
  const before = (await h.api('GET', '/v1/action-types')).body.items.length;
  for (const path of [
    'http://evil.example/x',
    'HTTPS://evil.example',
    '//evil.example/x',
    '\\\\evil.example/x',
    '/a/../b',
    '/a/%2e%2E/b',
    '..',
    '/a/./b?x=1',
  ]) {
    const r = await h.api('POST', '/v1/action-types', { name: 'outside', connector: 'vendor', path });
    expect(r.status, path).toBe(422);
    expect(r.body.errors, path).toEqual([{ field: 'path', message: expect.stringMatching(/absolute URL|dot segment/) }]);
  }
  expect((await h.api('GET', '/v1/action-types')).body.items).toHaveLength(before);
  // Dots that are not a whole segment, a query with dots, and tokens (checked when they render) are fine.
  for (const [i, path] of ['/v1.2/a..b', '/search?q=../x', '/{{ Where }}/x', '{{ Where }}', 'tickets/...'].entries())
    expect((await h.api('POST', '/v1/action-types', { name: `inside-${i}`, connector: 'vendor', path })).status, path).toBe(201);
  // Changing a stored one to such a path is refused the same way.
  const r = await h.api('PATCH', '/v1/action-types/inside-0', { path: '/a/../admin' });
  expect(r.status).toBe(422);
  expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(['path']);
});

it('a header that HTTP cannot carry, met at send, turns the action To Do / Invalid Input and leaves the circuit closed', async () => {
  const h = await startHarness({ start: false });
  onTestFinished(() => h.close());
  await h.api('POST', '/v1/connectors', {
    name: 'breakable',
    baseUrl: h.mock.url,
    circuitBreaker: { failureThreshold: 2, cooldown: '1m' },
  });
  await actionType(h, {
    name: 'ref-later',
    connector: 'breakable',
    path: '/ok',
    body: { format: 'json', template: '{"ref": "{{ Ref }}"}' },
  });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await h.api('POST', '/v1/actions', { actionType: 'ref-later', input: { Ref: '\u0100' } })).body.id);
  // The value moves into a header after launch (as an outside probe's six launches did before the check).
  expect((await h.api('PATCH', '/v1/action-types/ref-later', { headers: { 'X-Ref': '{{ Ref }}' } })).status).toBe(200);
  h.callout.start();
  for (const id of ids) {
    const a = await h.waitFor(id, (x) => x.state !== 'waiting');
    expect(a).toMatchObject({ state: 'todo', reason: 'invalid_input', rejectedReason: expect.stringContaining('U+0100') });
  }
  expect((await h.api('GET', '/v1/connectors/breakable')).body.status).toMatchObject({ circuit: 'closed', failures: 0 });
  expect(h.mock.log.filter((e) => ids.includes(e.key!))).toHaveLength(0);
});

it('an action type stored before the header rule still loads; its requests are refused when built, and the node starts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callout-stored-header-'));
  const secretKey = randomBytes(32).toString('hex');
  const first = await startHarness({ start: false, callout: { dataDir, secretKey } });
  await connector(first);
  await actionType(first, { name: 'marked', path: '/ok', headers: { 'X-Mark': 'done' } });
  // As an older version saved it: a literal the save check now refuses.
  const row = (await first.callout.store.getConfig('action_type', 'marked'))!;
  const doc = { ...row.doc, headers: { 'X-Mark': 'done \u2713' } };
  expect(await first.callout.store.updateConfig('action_type', { ...row, doc, revision: row.revision + 1 }, row.revision)).toBe(true);
  expect((await first.api('PATCH', '/v1/action-types/marked', { headers: { 'X-Mark': 'done \u2713' } })).body.errors).toEqual([
    { field: 'headers.X-Mark', message: expect.stringContaining('U+2713') },
  ]);
  await first.app.close();
  await first.callout.close();
  // A node opened on that store starts, and the action is refused when its request is built.
  const again = await startHarness({ callout: { dataDir, secretKey } });
  onTestFinished(async () => {
    await again.close();
    await first.mock.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const a = await again.api('POST', '/v1/actions', { actionType: 'marked' });
  expect(a.status).toBe(201);
  expect(await again.waitFor(a.body.id, (x) => x.state !== 'waiting')).toMatchObject({
    state: 'todo',
    reason: 'invalid_input',
    rejectedReason: expect.stringContaining('cannot be sent'),
  });
});
