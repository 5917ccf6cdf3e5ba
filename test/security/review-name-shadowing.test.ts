// Review of issue 9: a connector or action type named with another one's id. Ids and names share one
// look-up (the registry's cache, `/v1/connectors/{id or name}`), so such a name took over the id: the
// engine sent the victim's actions, callback tokens included, through the impostor to its host.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, type Recorder } from '../helpers/recorder.ts';

let h: Harness;
let victim: Recorder;
let impostor: Recorder;
beforeAll(async () => {
  h = await startHarness();
  victim = await startRecorder();
  impostor = await startRecorder();
});
afterAll(async () => {
  await h.close();
  await victim.close();
  await impostor.close();
});

describe('a name that spells another object’s id', () => {
  it('is refused for a connector (422 naming the field), and the victim’s actions still go to the victim', async () => {
    const id = await connector(h, { name: 'victim', baseUrl: victim.url, auth: { type: 'none' } });
    await actionType(h, {
      name: 'victim-call',
      connector: 'victim',
      path: '/t',
      body: { format: 'json', template: '{"cb":"{{ $callbackUrl }}"}' },
    });
    for (const name of [id, id.toUpperCase()]) {
      const r = await h.api('POST', '/v1/connectors', { name, baseUrl: impostor.url, auth: { type: 'none' } });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([{ field: 'name', message: expect.stringContaining('id') }]);
    }
    const a = await launch(h, 'victim-call');
    await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(victim.seen).toHaveLength(1);
    expect(impostor.seen).toHaveLength(0);
    expect((await h.api('GET', `/v1/connectors/${id}`)).body.baseUrl).toBe(victim.url);
  });

  it('is refused for an action type, on create, on rename and on import', async () => {
    const typeId = (await h.api('GET', '/v1/action-types/victim-call')).body.id as string;
    const c = await h.api('POST', '/v1/action-types', { name: typeId, connector: 'victim', method: 'POST', path: '/other' });
    expect(c.status).toBe(422);
    expect(c.body.errors).toEqual([{ field: 'name', message: expect.stringContaining('id') }]);
    await actionType(h, { name: 'second', connector: 'victim', path: '/second' });
    const p = await h.api('PATCH', '/v1/action-types/second', { name: typeId });
    expect(p.status).toBe(422);
    const i = await h.api('POST', '/v1/config/import', {
      connectors: [{ name: typeId, baseUrl: impostor.url, auth: { type: 'none' } }],
      actionTypes: [],
    });
    expect(i.status).toBe(422);
    const a = await launch(h, typeId);
    await h.waitFor(a.id, (x) => x.state === 'closed');
    expect(victim.seen.map((s) => s.path)).toEqual(['/t', '/t']);
    expect(impostor.seen).toHaveLength(0);
  });
});
