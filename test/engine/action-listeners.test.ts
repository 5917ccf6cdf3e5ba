// The 'action' listeners on one Engine stay bounded: servers built and closed on it give theirs back,
// and the test harness waits on many actions at once through one listener. Waiting on twenty actions
// at once used to add twenty, and the suite printed Node's MaxListenersExceededWarning for the Engine.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { actionType, connector, launch, startHarness, type Harness } from '../helpers/harness.ts';

describe("the Engine's 'action' listeners", () => {
  let h: Harness;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  beforeEach(async () => {
    warnings.length = 0;
    process.on('warning', onWarning);
    h = await startHarness({ start: false });
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await h?.close();
  });
  const count = (): number => h.callout.engine.listenerCount('action');
  const leakWarnings = (): Error[] => warnings.filter((w) => w.name === 'MaxListenersExceededWarning');

  it('twelve servers built and closed one after another on one engine leave as many as before', async () => {
    const before = count();
    for (let i = 0; i < 12; i++) {
      const app = await buildServer(h.callout);
      await app.ready();
      expect(count()).toBe(before + 1);
      await app.close();
    }
    expect(count()).toBe(before);
    // Node reports the warning on the next tick.
    await new Promise((r) => setImmediate(r));
    expect(leakWarnings()).toEqual([]);
  });

  it('waiting on twenty open actions at once adds one listener, taken away when the waits end; no leak warning', async () => {
    await connector(h);
    await actionType(h, { name: 'sync-ok', path: '/ok' });
    const launched = await Promise.all(Array.from({ length: 20 }, () => launch(h, 'sync-ok')));
    const before = count();
    const waits = Promise.all(launched.map((a) => h.waitFor(a.id, (x) => x.state === 'closed')));
    await expect.poll(count).toBe(before + 1);
    h.callout.start();
    // Starting adds the node's own workers' listeners; the waits' one goes when they end.
    const started = count();
    expect((await waits).map((a) => a.state)).toEqual(launched.map(() => 'closed'));
    expect(count()).toBe(started - 1);
    await new Promise((r) => setImmediate(r));
    expect(leakWarnings()).toEqual([]);
  });
});
