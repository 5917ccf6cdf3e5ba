// A store that fails during a look-up is a failure (500 INTERNAL, logged), never "does not exist":
// only NotFoundError may turn into a 404, a 422 naming the field, or a create instead of an update.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Callout } from '../../src/callout.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const IO_ERROR = Object.assign(new Error('SQLITE_IOERR: disk I/O error'), { code: 'SQLITE_IOERR' });

describe('a store failure during a look-up', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ start: false });
    expect((await h.api('POST', '/v1/connectors', { name: 'crm', baseUrl: h.mock.url })).status).toBe(201);
    // Made by another node on the same store: this node has not loaded it yet, so a look-up reads the store.
    const other = await Callout.open({ dataDir: h.dataDir, allowPrivateNetworks: true });
    await other.actionTypes.create({ name: 'later', connector: 'crm', method: 'POST', path: '/ok' });
    await other.close();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  /** Runs `run` while the store fails every read of one kind of configuration (the rest works). */
  const withBrokenLookups = async (kind: 'connector' | 'action_type', run: () => Promise<void>): Promise<void> => {
    const store = h.callout.store;
    const real = store.getConfig.bind(store);
    const realList = store.listConfig.bind(store);
    const spy = vi.spyOn(store, 'getConfig').mockImplementation(async (k, idOrName) => {
      if (k === kind) throw IO_ERROR;
      return real(k, idOrName);
    });
    // The import reads them all, by name.
    const listSpy = vi.spyOn(store, 'listConfig').mockImplementation(async (k) => {
      if (k === kind) throw IO_ERROR;
      return realList(k);
    });
    try {
      await run();
    } finally {
      spy.mockRestore();
      listSpy.mockRestore();
    }
  };

  it('answers 500 INTERNAL on the routes that look a connector or action type up, and changes nothing', async () => {
    // Counted in the store: listing through the API would load 'later' into this node's cache.
    const count = async (): Promise<number> => (await h.callout.store.listConfig('action_type')).length;
    const before = await count();
    const cases = [
      ['action_type', 'GET', '/v1/action-types/later/schema', undefined],
      // The import took a failed look-up for "no such action type" and created it (409: the name is taken).
      [
        'action_type',
        'POST',
        '/v1/config/import',
        { actionTypes: [{ name: 'later', connector: 'crm', method: 'POST', path: '/changed' }] },
      ],
      ['action_type', 'GET', '/v1/action-types/later', undefined],
      ['connector', 'GET', '/v1/connectors/crm', undefined],
      // Not "connector: no connector crm exists" (422).
      ['connector', 'POST', '/v1/action-types', { name: 'fresh', connector: 'crm', method: 'POST', path: '/ok' }],
    ] as const;
    for (const [kind, method, path, body] of cases)
      await withBrokenLookups(kind, async () => {
        const res = await h.api(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(500);
        expect(res.body).toMatchObject({ code: 'INTERNAL', status: 500 });
        expect(JSON.stringify(res.body)).not.toContain('SQLITE_IOERR');
      });
    expect(await count()).toBe(before);
    expect((await h.api('GET', '/v1/action-types/later')).body.path).toBe('/ok');
  });

  it('makes the services reject instead of answering "none" (the demo and embedders rely on find)', async () => {
    await withBrokenLookups('connector', () => expect(h.callout.connectors.find('crm')).rejects.toThrow('SQLITE_IOERR'));
    await withBrokenLookups('action_type', () =>
      expect(h.callout.actionTypes.find('nothing-by-this-name')).rejects.toThrow('SQLITE_IOERR'),
    );
    expect(await h.callout.actionTypes.find('nothing-by-this-name')).toBeUndefined();
    expect(await h.callout.connectors.find('crm')).toMatchObject({ name: 'crm' });
  });

  it('still answers 404 NOT_FOUND when the store works and there is no such connector', async () => {
    expect((await h.api('GET', '/v1/connectors/nobody')).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
