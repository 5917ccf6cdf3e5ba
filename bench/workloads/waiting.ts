// Workload C, waiting at scale: N actions sent to an external system that accepts and never calls back
// (the mock's /callback?never=1), all left awaiting their callbacks; RSS and store size while they wait;
// then a separate load process answers all of them through the HTTP API: callbacks per second.

import { fork } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer } from '../../src/api/server.ts';
import { openCallout } from '../systems/callout.ts';
import { ENQUEUE_CHUNK } from '../systems/types.ts';
import { peakRssMb, rssMb } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';
import { schemaSizeMb } from '../lib/pg.ts';
import type { TaskBase } from './common.ts';

export interface WaitingTask extends TaskBase {
  workload: 'C';
  count: number;
  /** How long to watch memory while everything waits. @default 10 */
  waitSeconds?: number;
}

function progress(message: string): void {
  process.send?.({ type: 'progress', message });
}

function fileMb(path: string): number {
  try {
    return statSync(path).size / 1048576;
  } catch {
    return 0;
  }
}

export async function runWaiting(task: WaitingTask): Promise<Record<string, unknown>> {
  const store = task.system === 'callout-postgres' ? 'postgres' : 'sqlite';
  const u = await openCallout(task.ctx, store);
  const { callout } = u;
  const app = await buildServer(callout);
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  await callout.connectors.create({ name: 'waiting-mock', baseUrl: task.ctx.mockUrl, auth: { type: 'none' }, timeout: '10s' });
  await callout.actionTypes.create({
    name: 'bench-wait',
    connector: 'waiting-mock',
    method: 'POST',
    path: '/callback?never=1',
    body: { format: 'json', template: '{"a":"{{ $actionId }}","callbackUrl":"{{ $callbackUrl }}"}' },
    completion: { mode: 'callback', timeout: '24h' },
  });
  let awaiting = 0;
  let closed = 0;
  let lastClosedAt = 0;
  let onAwaiting: (() => void) | null = null;
  let onClosed: (() => void) | null = null;
  callout.engine.on('action', (a) => {
    if (a.state === 'waiting' && a.phase === 'awaiting_callback') {
      if (++awaiting >= task.count) onAwaiting?.();
    } else if (a.state === 'closed') {
      lastClosedAt = Date.now();
      if (++closed >= task.count) onClosed?.();
    }
  });
  const samples: Array<{ t: number; phase: string; rssMb: number }> = [];
  let phase = 'launching';
  const t0 = Date.now();
  const sampler = setInterval(() => samples.push({ t: Date.now() - t0, phase, rssMb: rssMb() }), 1000);
  const tokensFile = join(task.ctx.workDir, 'tokens.txt');
  const tokens = createWriteStream(tokensFile);
  const storeMb = async (): Promise<number> =>
    store === 'sqlite'
      ? ['', '-wal', '-shm'].reduce((s, x) => s + fileMb(join(task.ctx.workDir, 'callout', `callout.db${x}`)), 0)
      : schemaSizeMb(u.schema!);
  try {
    callout.start();
    const allAwaiting = new Promise<void>((resolve) => (onAwaiting = resolve));
    for (let i = 0; i < task.count; i += ENQUEUE_CHUNK) {
      const n = Math.min(ENQUEUE_CHUNK, task.count - i);
      const ids = await callout.actions.launchMany(Array.from({ length: n }, () => ({ actionType: 'bench-wait', input: {} })));
      // Tokens go to the file now: keeping a million ids in memory would be counted as Callout's.
      if (!tokens.write(ids.map((id) => callout.engine.callbackToken(id)).join('\n') + '\n'))
        await new Promise<void>((r) => tokens.once('drain', () => r()));
      if ((i / ENQUEUE_CHUNK) % 20 === 0) progress(`launched ${i + n}, awaiting callbacks ${awaiting}, RSS ${rssMb().toFixed(0)} MB`);
    }
    await new Promise<void>((r) => tokens.end(() => r()));
    const launchedAt = Date.now();
    const reached = await Promise.race([
      allAwaiting.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), task.timeoutMs)),
    ]);
    if (!reached) throw new Error(`only ${awaiting} of ${task.count} actions reached awaiting_callback within ${task.timeoutMs} ms`);
    const allWaitingAt = Date.now();
    progress(`all ${task.count} awaiting callbacks after ${((allWaitingAt - t0) / 1000).toFixed(1)} s; watching memory`);
    phase = 'waiting';
    const rssAtAllWaiting = rssMb();
    await new Promise((r) => setTimeout(r, (task.waitSeconds ?? 10) * 1000));
    const waiting = samples.filter((s) => s.phase === 'waiting').map((s) => s.rssMb);
    const storeWaitingMb = await storeMb();
    // The answers: a separate process, so its work is not counted as Callout's.
    phase = 'callbacks';
    const allClosed = new Promise<void>((resolve) => (onClosed = resolve));
    const load = fork(
      join(import.meta.dirname, '..', 'load', 'callbacks.ts'),
      ['--url', apiUrl, '--tokens', tokensFile, '--concurrency', '256'],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let startedAt = 0;
    const loadDone = new Promise<Record<string, unknown>>((resolve, reject) => {
      load.on('message', (m: { type: string; at?: number } & Record<string, unknown>) => {
        if (m.type === 'started') startedAt = Date.now();
        if (m.type === 'done') resolve(m);
      });
      load.once('exit', (code) => (code !== 0 ? reject(new Error(`callback load process exited with ${code}`)) : undefined));
    });
    const loadResult = await loadDone;
    const closedInTime = await Promise.race([allClosed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    clearInterval(sampler);
    const during = samples.filter((s) => s.phase === 'callbacks').map((s) => s.rssMb);
    return {
      library: 'callout',
      settings: u.settings,
      count: task.count,
      launchSeconds: (launchedAt - t0) / 1000,
      launchPerSecond: task.count / ((allWaitingAt - t0) / 1000),
      rssAtAllWaitingMb: rssAtAllWaiting,
      waitingRssMb: median(waiting),
      waitingRssMaxMb: Math.max(...waiting),
      storeMb: storeWaitingMb,
      closed,
      allClosed: closedInTime,
      callbacksPerSecond: closed / ((lastClosedAt - startedAt) / 1000),
      callbacksRssMaxMb: during.length ? Math.max(...during) : rssMb(),
      load: loadResult,
      peakRssMb: peakRssMb(),
      rssSeries: samples,
    };
  } finally {
    clearInterval(sampler);
    await app.close();
    await u.close();
  }
}
