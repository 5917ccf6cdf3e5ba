// Store conformance: connector limits (rate windows, concurrency slots) and status, on both stores.

import { beforeEach, describe, expect, it } from 'vitest';
import { closedStatus, type StatusChange } from '../../src/connectors/circuit.ts';
import { eachStore, T0, SECOND, HOUR, type TestDatabase } from './stores.ts';
import type { Store } from '../../src/store/types.ts';

eachStore((ctx) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(() => {
    ({ db, store } = ctx());
  });

  describe('connector limits and status', () => {
    const limits = [
      { limit: 3, perMs: SECOND },
      { limit: 5, perMs: 60 * SECOND },
    ];

    it('rate permits come from every window at once, with the time the exhausted windows end', async () => {
      const ask = (now: number, want: number, connectorId = 'crm') => store.acquireRatePermits({ connectorId, limits, now, want });
      expect(await ask(T0, 2)).toEqual({ granted: 2, retryAt: null });
      expect(await ask(T0 + 500, 2)).toEqual({ granted: 1, retryAt: T0 + SECOND });
      expect(await ask(T0 + 999, 1)).toEqual({ granted: 0, retryAt: T0 + SECOND });
      expect(await ask(T0 + SECOND, 5)).toEqual({ granted: 2, retryAt: T0 + 60 * SECOND }); // the minute is the binding window now
      expect(await ask(T0 + 2 * SECOND, 1)).toEqual({ granted: 0, retryAt: T0 + 60 * SECOND });
      expect(await ask(T0 + 60 * SECOND, 1)).toEqual({ granted: 1, retryAt: null });
      expect(await ask(T0, 3, 'erp')).toEqual({ granted: 3, retryAt: null }); // each connector has its own windows
    });

    it('nodes asking for rate permits at once get no more than the limit together', async () => {
      const nodes = [db.open(), db.open()];
      const perAsker = await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          let got = 0;
          for (let i = 0; i < 30; i++)
            got += (
              await nodes[k % 2]!.acquireRatePermits({ connectorId: 'crm', limits: [{ limit: 50, perMs: HOUR }], now: T0 + i, want: 1 })
            ).granted;
          return got;
        }),
      );
      expect(perAsker.reduce((a, b) => a + b, 0)).toBe(50);
    });

    it('concurrency slots hold up to the maximum, and free on release or when their lease ends', async () => {
      const take = (actionIds: string[], now = T0) =>
        store.acquireConcurrency({ connectorId: 'crm', max: 2, actionIds, now, until: now + 30 * SECOND });
      expect(await take(['a', 'b', 'c'])).toEqual(['a', 'b']);
      expect(await take(['c'])).toEqual([]);
      await store.releaseConcurrency('crm', ['a', 'never-held']);
      expect(await take(['c', 'd'])).toEqual(['c']);
      expect(await store.acquireConcurrency({ connectorId: 'erp', max: 1, actionIds: ['x'], now: T0, until: T0 + SECOND })).toEqual(['x']);
      await store.releaseConcurrency('crm', []);
      expect(await take(['d'], T0 + 30 * SECOND - 1)).toEqual([]);
      expect(await take(['d', 'e', 'f'], T0 + 30 * SECOND)).toEqual(['d', 'e']); // b and c were never released: their leases ended
    });

    it('nodes taking concurrency slots at once never exceed the maximum', async () => {
      const nodes = [db.open(), db.open()];
      const perAsker = await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const got: string[] = [];
          for (let i = 0; i < 10; i++)
            got.push(
              ...(await nodes[k % 2]!.acquireConcurrency({
                connectorId: 'crm',
                max: 5,
                actionIds: [`a-${k}-${i}`],
                now: T0,
                until: T0 + HOUR,
              })),
            );
          return got;
        }),
      );
      expect(perAsker.flat()).toHaveLength(5);
    });

    it('connector status is read, changed and written by one node at a time', async () => {
      expect(await store.listConnectorStatus()).toEqual([]);
      const failed = (now: number, error?: string): StatusChange => ({
        kind: 'outcomes',
        outcomes: [{ ok: false, ...(error ? { error } : {}) }],
        breaker: null,
        now,
      });
      const first = await store.updateConnectorStatus('crm', failed(T0, 'connect ECONNREFUSED'));
      expect(first).toEqual({ status: { ...closedStatus('crm', T0), failures: 1, lastError: 'connect ECONNREFUSED' }, applied: true });
      expect(await store.listConnectorStatus()).toEqual([first.status]);
      const nodes = [db.open(), db.open()];
      await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2]!.updateConnectorStatus('crm', failed(T0 + i))));
      const breaker = { failureThreshold: 3, cooldownMs: HOUR };
      const fails = Array.from({ length: 3 }, () => ({ ok: false, error: 'HTTP 503' }));
      await store.updateConnectorStatus('erp', { kind: 'outcomes', outcomes: fails, breaker, now: T0 });
      const all = await store.listConnectorStatus();
      expect(all.find((s) => s.connectorId === 'crm')!.failures).toBe(21);
      const open = { ...closedStatus('erp', T0), circuit: 'open', failures: 3, lastError: 'HTTP 503', openedAt: T0, retryAt: T0 + HOUR };
      expect(all.find((s) => s.connectorId === 'erp')).toEqual(open);
      // The cool-down over, two nodes ask for the one probe at once: one gets it.
      const until = T0 + HOUR + 30_000;
      const asks = await Promise.all(nodes.map((n) => n.updateConnectorStatus('erp', { kind: 'probe', now: T0 + HOUR, until })));
      expect(asks.map((a) => a.applied).sort()).toEqual([false, true]);
      for (const a of asks) expect(a.status).toEqual({ ...open, probeUntil: until, updatedAt: T0 + HOUR });
      const flagged = await store.updateConnectorStatus('erp', { kind: 'attention', message: 'credentials refused', now: T0 + HOUR + 1 });
      expect(flagged.status).toMatchObject({ circuit: 'open', needsAttention: 'credentials refused', updatedAt: T0 + HOUR + 1 });
    });
  });
});
