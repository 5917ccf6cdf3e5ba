import { describe, expect, it } from 'vitest';
import { CalloutClosedError, ConflictError } from '../errors.ts';
import { refusedOnceClosed } from './closed-guard.ts';
import type { Store } from './types.ts';

/** A stand-in store whose calls wait until the test lets them answer. */
function gatedStore() {
  const gates: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  let closes = 0;
  let closed: () => void = () => undefined;
  const call = (): Promise<unknown> => new Promise((resolve, reject) => gates.push({ resolve, reject }));
  // Closing takes as long as the test says: the calls under way answer meanwhile.
  const close = (): Promise<void> => {
    closes++;
    return new Promise((r) => (closed = r));
  };
  const store = { kind: 'sqlite', getAction: call, listActions: call, getConfig: call, close };
  return { store: refusedOnceClosed(store as unknown as Store), gates, closes: () => closes, closed: () => closed() };
}

describe('the store of a closed Callout', () => {
  it("turns a driver's word for a closed store, met by a call under way, into CalloutClosedError; other errors and answers pass", async () => {
    const { store, gates, closes, closed } = gatedStore();
    const lost = store.getAction('a');
    const refused = store.listActions({ limit: 1 });
    const answered = store.getConfig('connector', 'c');
    const closing = store.close();
    await expect(store.getAction('b')).rejects.toBeInstanceOf(CalloutClosedError);
    gates[0]!.reject(new TypeError('The database connection is not open'));
    gates[1]!.reject(new ConflictError('taken'));
    gates[2]!.resolve({ id: 'c' });
    await expect(lost).rejects.toBeInstanceOf(CalloutClosedError);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(answered).resolves.toEqual({ id: 'c' });
    expect(store.kind).toBe('sqlite');
    const again = store.close();
    closed();
    await Promise.all([closing, again]);
    expect(closes()).toBe(1);
  });

  it("answers Object's own methods as any object does, before close and after (no rejected promise)", async () => {
    const { store, closed } = gatedStore();
    const closing = store.close();
    closed();
    await closing;
    expect(`${String(store)} ${store.toString()}`).toBe('[object Object] [object Object]');
    expect(store.valueOf()).toBe(store);
    expect(store.propertyIsEnumerable('kind')).toBe(true);
    expect(Object.prototype.isPrototypeOf.call(Object.prototype, store)).toBe(true);
    await expect(store.getAction('a')).rejects.toBeInstanceOf(CalloutClosedError);
  });
});
