// The SQLite thread (see thread.ts): one connection, one operation at a time, in the order posted.

import { parentPort, workerData } from 'node:worker_threads';
import type { ClaimParams } from '../types.ts';
import { SqliteStore } from './store.ts';
import { OutcomeUnknownError, StoreStoppedError } from '../failures.ts';
import type { Reply, Request, SyncFailed, ThreadData, ThreadError } from './thread-protocol.ts';

const { file, synchronous, backgroundCheckpoints, notificationsPerUser, syncFailure } = workerData as ThreadData;
// The opening side has checked the file already.
const store = new SqliteStore({
  file,
  synchronous,
  quickCheck: false,
  backgroundCheckpoints,
  ...(notificationsPerUser !== undefined ? { notificationsPerUser } : {}),
});
const port = parentPort!;
// An earlier thread's sync failed: this one is stopped too (its own descriptor would not be told).
let failureSent = syncFailure !== null;
if (syncFailure !== null && store.walSync) store.walSync.failed = new StoreStoppedError(syncFailure);

/** Tells the event loop's side, once, that the log sync failed: it hands that on to any later thread. */
function reportSyncFailure(): void {
  const failed = store.walSync?.failed;
  if (failureSent || !failed) return;
  failureSent = true;
  port.postMessage({ syncFailed: failed.message } satisfies SyncFailed);
}

function serialise(e: unknown): ThreadError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'message' || k === 'stack' || k === 'name') continue;
    try {
      props[k] = structuredClone(v);
    } catch {
      // A field that cannot cross (a function) is left behind; the others (e.g. `code`) still go.
    }
  }
  return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), props };
}

/** Operations started and not answered: a close waits for them (writes waiting for their sync). */
const inFlight = new Set<Promise<unknown>>();

async function run(op: string, args: unknown[]): Promise<unknown> {
  if (op === '$close') {
    await Promise.allSettled([...inFlight]);
    return store.close();
  }
  if (op === 'claimDueValues') {
    const { wantDueTimes, ...p } = args[0] as ClaimParams & { wantDueTimes: boolean };
    const dues: number[] = [];
    const phases: Array<string | null> = [];
    const rows = await store.claimDueValues(wantDueTimes ? { ...p, dueTimes: (d, i, ph) => ((dues[i] = d), (phases[i] = ph)) } : p);
    return { rows, dues, phases };
  }
  const fn = (store as unknown as Record<string, unknown>)[op];
  if (typeof fn !== 'function') throw new Error(`the SQLite store has no operation ${op}`);
  return (fn as (...a: unknown[]) => unknown).apply(store, args);
}

port.on('message', (m: Request) => {
  const json = m.json !== undefined;
  const op = run(m.op, json ? (JSON.parse(m.json!) as unknown[]) : (m.args ?? []));
  if (m.op !== '$close') {
    inFlight.add(op);
    void op.finally(() => inFlight.delete(op)).catch(() => undefined);
  }
  op.then(
    (value) => {
      reportSyncFailure();
      try {
        port.postMessage(
          json
            ? ({ id: m.id, json: value === undefined ? undefined : JSON.stringify(value) } satisfies Reply)
            : ({ id: m.id, value } satisfies Reply),
        );
      } catch (e) {
        // An answer the structured clone refuses (a function, a symbol): the call fails rather than waits
        // forever; it ran (and may have committed), so it must not be tried again as if it had not.
        const lost = new OutcomeUnknownError(`the answer to ${m.op} could not leave the SQLite thread: ${(e as Error).message}`);
        port.postMessage({ id: m.id, error: serialise(lost) } satisfies Reply);
      }
    },
    (e: unknown) => {
      reportSyncFailure();
      port.postMessage({ id: m.id, error: serialise(e) } satisfies Reply);
    },
  );
});
