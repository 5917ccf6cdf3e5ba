// The store's share of one action's life, alone: N actions launched, then claimed in batches and
// written back closed (as an answered 200 would), timed per phase, no HTTP and no engine loop.
//   npx tsx bench/store-cycle.ts [count] [batch]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Callout } from '../src/callout.ts';
import { transition } from '../src/lifecycle/transition.ts';
import { createLogger } from '../src/logger.ts';
import { BENCH_SECRET_KEY, defineBenchActionType } from './systems/callout.ts';

const count = Number(process.argv[2] ?? 30000);
const batch = Number(process.argv[3] ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'store-cycle-'));
const callout = await Callout.open({
  dataDir: dir,
  secretKey: BENCH_SECRET_KEY,
  publicUrl: 'http://127.0.0.1:3000',
  allowPrivateNetworks: true,
  logger: createLogger({ level: 'warn' }),
  sqliteThread: process.env.THREAD === '1',
});
await defineBenchActionType(callout, 'http://127.0.0.1:9');
for (let i = 0; i < count; i += 1000)
  await callout.actions.launchMany(Array.from({ length: Math.min(1000, count - i) }, () => ({ actionType: 'bench-ok', input: {} })));
const store = (callout as unknown as { store: import('../src/store/types.ts').Store }).store;
const registry = (callout as unknown as { registry: { policyOf(a: unknown): Promise<import('../src/lifecycle/action.ts').ActionPolicy> } })
  .registry;
let claimMs = 0,
  transMs = 0,
  writeMs = 0,
  done = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (;;) {
  let t = performance.now();
  const now = Date.now();
  const claimed = await store.claimDue({ now, owner: 'x', leaseUntil: now + 60_000, limit: batch });
  claimMs += performance.now() - t;
  if (claimed.length === 0) break;
  t = performance.now();
  const policy = await registry.policyOf(claimed[0]);
  const writes = claimed.map((a) => {
    const attempt = {
      attempt: 1,
      request: { method: 'POST', url: 'http://127.0.0.1:9/ok', headers: { 'content-type': 'application/json' }, body: `{"a":"${a.id}"}` },
      durationMs: 1,
      response: { status: 200, body: '' },
    };
    const tr = transition(
      a,
      { type: 'send_answered', status: 200, attempt, evaluation: { success: true, output: null } },
      { policy, now: Date.now(), rand: 0.5 },
    );
    if (!tr.ok) throw new Error(tr.message);
    return { action: tr.action, expectedVersion: a.version, previous: a, timeline: tr.timeline, effects: tr.effects };
  });
  transMs += performance.now() - t;
  t = performance.now();
  const ok = await store.writeActions(writes);
  writeMs += performance.now() - t;
  done += ok.filter(Boolean).length;
}
const wall = performance.now() - t0;
const c = process.cpuUsage(cpu0);
console.log(
  JSON.stringify(
    {
      count: done,
      batch,
      thread: process.env.THREAD === '1',
      usPerAction: {
        claim: (claimMs * 1000) / done,
        transition: (transMs * 1000) / done,
        write: (writeMs * 1000) / done,
        wall: (wall * 1000) / done,
        cpu: (c.user + c.system) / done,
      },
    },
    null,
    0,
  ),
);
await callout.close();
rmSync(dir, { recursive: true, force: true });
