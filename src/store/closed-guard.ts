// The store as a Callout hands it to its services and workers: once the Callout closes it, every call
// is refused with CalloutClosedError, the one error an embedding program matches on, rather than what
// each driver says about a closed connection (better-sqlite3, pg's pool, the SQLite thread).

import { CalloutClosedError } from '../errors.ts';
import { isStoreStopped, isStoreUnreachable } from './failures.ts';
import type { Store } from './types.ts';

type Method = (...args: unknown[]) => unknown;

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/**
 * `store`, refusing every call once its `close()` has been called through this. The check is one
 * boolean per call, at the boundary every service and worker reaches the store through. A call that
 * was already under way finishes, or meets the closing store and fails with CalloutClosedError too:
 * only failures that say the store is gone are turned into it; any other error stays as it was.
 * Methods are looked up on each access, so one replaced later (a test's fault injection) is guarded too.
 */
export function refusedOnceClosed<S extends Store>(store: S): S {
  let closed = false;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed = true;
    return (closing ??= store.close());
  };
  const told = (e: unknown): unknown => (closed && (isStoreStopped(e) || isStoreUnreachable(e)) ? new CalloutClosedError() : e);
  const guarded = new WeakMap<Method, Method>();
  const guard = (target: S, fn: Method): Method =>
    function guardedCall(...args: unknown[]): unknown {
      if (closed) return Promise.reject(new CalloutClosedError());
      let out: unknown;
      try {
        out = fn.apply(target, args);
      } catch (e) {
        throw told(e);
      }
      return isPromise(out)
        ? out.then(undefined, (e: unknown) => {
            throw told(e);
          })
        : out;
    };
  return new Proxy(store, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop);
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      // Object's own methods (toString, valueOf, hasOwnProperty…) are no store calls: after close they
      // answered a rejected promise, so String(store) threw and left rejections no one handled.
      if (Object.hasOwn(Object.prototype, prop) && v === (Object.prototype as unknown as Record<string, unknown>)[prop]) return v;
      if (prop === 'close') return close;
      let g = guarded.get(v as Method);
      if (!g) guarded.set(v as Method, (g = guard(target, v as Method)));
      return g;
    },
  });
}
