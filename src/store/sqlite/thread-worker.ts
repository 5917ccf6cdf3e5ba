// The SQLite thread (see thread.ts): one connection, one operation at a time, in the order posted.

import { parentPort, workerData } from 'node:worker_threads';
import type { ClaimParams } from '../types.ts';
import { SqliteStore } from './store.ts';
import type { Reply, Request, ThreadError } from './thread-protocol.ts';

const { file, synchronous, backgroundCheckpoints } = workerData as {
  file: string;
  synchronous: 'full' | 'normal';
  backgroundCheckpoints: boolean;
};
// The opening side has checked the file already.
const store = new SqliteStore({ file, synchronous, quickCheck: false, backgroundCheckpoints });
const port = parentPort!;

function serialise(e: unknown): ThreadError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (k !== 'message' && k !== 'stack' && k !== 'name') props[k] = v;
  return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), props: structuredClone(props) };
}

/** Operations started and not answered: a close waits for them (writes waiting for their sync). */
const inFlight = new Set<Promise<unknown>>();

async function run(op: string, args: unknown[]): Promise<unknown> {
  if (op === '$close') {
    await Promise.allSettled([...inFlight]);
    return store.close();
  }
  if (op === 'claimDueValues') {
    const { wantLateness, ...p } = args[0] as ClaimParams & { wantLateness: boolean };
    const late: number[] = [];
    const rows = await store.claimDueValues(wantLateness ? { ...p, lateness: (l) => late.push(l) } : p);
    return { rows, late };
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
    (value) =>
      port.postMessage(
        json
          ? ({ id: m.id, json: value === undefined ? undefined : JSON.stringify(value) } satisfies Reply)
          : ({ id: m.id, value } satisfies Reply),
      ),
    (e: unknown) => port.postMessage({ id: m.id, error: serialise(e) } satisfies Reply),
  );
});
