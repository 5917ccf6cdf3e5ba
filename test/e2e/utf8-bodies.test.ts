// Bodies whose bytes are not UTF-8 are refused (400, saying so), and change nothing: decoded as they were,
// each bad byte became U+FFFD and a Latin-1 "Müller" went on to the external system as "M�ller" (an
// outside review). UTF-8 with its BOM, and a CSV in UTF-16 with its BOM, are read as before.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

describe('bodies that are not UTF-8', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mock: { keepBodies: true } });
    await connector(h);
    await actionType(h, { name: 'letter', path: '/ok', body: { format: 'json', template: '{"to": "{{ Name }}"}' } });
    await actionType(h, {
      name: 'waits',
      path: '/callback?never=1',
      body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}"}' },
      completion: { mode: 'callback' },
    });
  });
  afterAll(async () => h?.close());

  const send = async (path: string, type: string, body: Buffer): Promise<{ status: number; body: any }> => {
    const r = await request(`${h.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': type },
      body,
    });
    const text = await r.body.text();
    return { status: r.statusCode, body: text ? JSON.parse(text) : undefined };
  };
  const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
  const letters = async (): Promise<Array<{ input: { Name: string } }>> =>
    (await h.api('GET', '/v1/actions?actionType=letter&limit=500')).body.items;

  it('a launch, a CSV and a callback in Latin-1 are refused with a 400 that says so, and launch or change nothing', async () => {
    const launchBody = await send('/v1/actions', 'application/json', latin1('{"actionType":"letter","input":{"Name":"Müller"}}'));
    expect(launchBody.status).toBe(400);
    expect(launchBody.body.detail).toMatch(/not UTF-8/);
    const csv = await send('/v1/bulk-launches?actionType=letter', 'text/csv', latin1('Name\nMüller\n'));
    expect(csv.status).toBe(400);
    expect(csv.body.detail).toMatch(/not UTF-8.*CSV UTF-8/);
    expect(await letters()).toEqual([]);

    const a = await launch(h, 'waits');
    await h.waitFor(a.id, (x) => x.phase === 'awaiting_callback');
    const token = h.callout.engine.callbackToken(a.id);
    const cb = await send(`/v1/callbacks/${token}`, 'application/json', latin1('{"outcome":"failure","reason":"Kunde unbekannt: Müller"}'));
    expect(cb.status).toBe(400);
    expect((await h.api('GET', `/v1/actions/${a.id}`)).body.state).toBe('waiting');
  });

  it('UTF-8 (with its BOM) and a CSV in UTF-16 with its BOM are read as they were', async () => {
    expect((await send('/v1/actions', 'application/json', Buffer.from('{"actionType":"letter","input":{"Name":"Müller"}}'))).status).toBe(
      201,
    );
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(
      (await send('/v1/bulk-launches?actionType=letter', 'text/csv', Buffer.concat([bom, Buffer.from('Name\nGößmann\n')]))).status,
    ).toBe(201);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Name\nØstergaard\n', 'utf16le')]);
    expect((await send('/v1/bulk-launches?actionType=letter', 'text/csv', utf16)).status).toBe(201);
    await expect.poll(async () => (await letters()).map((a) => a.input.Name).sort()).toEqual(['Gößmann', 'Müller', 'Østergaard']);
  });
});
