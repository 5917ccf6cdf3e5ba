// Workload D, rate limit: one connector limited to `limit` a second is offered 200 launches a second
// (open loop), while a connector without limits beside it gets the same; the parent counts, from the
// mock's log, the most requests the limited route saw in any one second, and the unlimited latency.

import { createWriteStream } from 'node:fs';
import { openCallout } from '../systems/callout.ts';
import { peakRssMb } from '../lib/proc.ts';
import type { TaskBase } from './common.ts';

export interface RateLimitTask extends TaskBase {
  workload: 'D';
  limit: number;
  offeredPerSecond: number;
  seconds: number;
  /** Watching after the offered load stops, while the limited backlog drains. */
  observeSeconds: number;
  /** `key<TAB>planned launch time` of the unlimited connector's actions. */
  dueFile: string;
}

const TICK_MS = 10;

export async function runRateLimit(task: RateLimitTask): Promise<Record<string, unknown>> {
  const u = await openCallout(task.ctx, task.system === 'callout-postgres' ? 'postgres' : 'sqlite');
  const { callout } = u;
  const out = createWriteStream(task.dueFile);
  const body = { format: 'json', template: '{"a":"{{ $actionId }}"}' };
  await callout.connectors.create({
    name: 'limited',
    baseUrl: task.ctx.mockUrl,
    auth: { type: 'none' },
    timeout: '10s',
    rateLimits: [{ limit: task.limit, per: '1s' }],
  });
  await callout.connectors.create({ name: 'unlimited', baseUrl: task.ctx.mockUrl, auth: { type: 'none' }, timeout: '10s' });
  await callout.actionTypes.create({ name: 'to-limited', connector: 'limited', method: 'POST', path: '/ratelimited', body });
  await callout.actionTypes.create({ name: 'to-unlimited', connector: 'unlimited', method: 'POST', path: '/ok', body });
  const closed = { limited: 0, unlimited: 0 };
  let throttledSeen = 0;
  const limitedType = (await callout.registry.actionType('to-limited')).compiled.id;
  callout.engine.on('action', (a) => {
    if (a.state === 'closed') closed[a.actionTypeId === limitedType ? 'limited' : 'unlimited']++;
    else if (a.phase === 'throttled') throttledSeen++;
  });
  try {
    callout.start();
    await new Promise((r) => setTimeout(r, 300));
    const total = Math.round(task.offeredPerSecond * task.seconds);
    const t0 = Date.now();
    let launched = 0;
    while (launched < total) {
      const target = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * task.offeredPerSecond) + 1);
      if (target > launched) {
        const n = target - launched;
        await callout.actions.launchMany(Array.from({ length: n }, () => ({ actionType: 'to-limited', input: {} })));
        const ids = await callout.actions.launchMany(Array.from({ length: n }, () => ({ actionType: 'to-unlimited', input: {} })));
        out.write(ids.map((id, j) => `${id}\t${Math.round(t0 + ((launched + j) * 1000) / task.offeredPerSecond)}`).join('\n') + '\n');
        launched = target;
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await new Promise((r) => setTimeout(r, task.observeSeconds * 1000));
    return {
      library: 'callout',
      settings: {
        ...u.settings,
        limit: `${task.limit} per 1s`,
        offered: `${task.offeredPerSecond}/s to each connector for ${task.seconds} s`,
        observed: `${task.seconds + task.observeSeconds} s`,
      },
      launchedPerConnector: launched,
      limitedClosed: closed.limited,
      unlimitedClosed: closed.unlimited,
      throttledWrites: throttledSeen,
      peakRssMb: peakRssMb(),
    };
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
    await u.close();
  }
}
