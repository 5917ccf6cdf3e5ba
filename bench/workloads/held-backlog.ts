// Workload D2, a held backlog: `held` actions launched at once on a connector limited to `limit` a
// second, then watched for `windowSeconds`: rows the store writes per second (SQLite: the store
// connection's total_changes(); PostgreSQL: n_tup_ins + n_tup_upd + n_tup_del of the run's schema in
// pg_stat_user_tables), the limited connector's sends per second, RSS each second. A second,
// unlimited connector drains `otherCount` actions before the backlog exists and again beside it.

import type Database from 'better-sqlite3';
import { openCallout, type CalloutUnderTest } from '../systems/callout.ts';
import { facade } from '../lib/facade.ts';
import { pgQuery } from '../lib/pg.ts';
import { peakRssMb, rssMb } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';
import type { TaskBase } from './common.ts';

export interface HeldBacklogTask extends TaskBase {
  workload: 'D2';
  held: number;
  limit: number;
  windowSeconds: number;
  otherCount: number;
}

function progress(message: string): void {
  process.send?.({ type: 'progress', message });
}

/** Rows written by the store so far (a counter whose deltas are what is reported). */
function rowsWritten(u: CalloutUnderTest): () => Promise<number> {
  if (u.schema) {
    const schema = u.schema;
    return async () => {
      const [r] = await pgQuery<{ n: string | null }>(
        'SELECT sum(n_tup_ins + n_tup_upd + n_tup_del)::bigint AS n FROM pg_stat_user_tables WHERE schemaname = $1',
        [schema],
      );
      return Number(r?.n ?? 0);
    };
  }
  const db = (u.callout.store as unknown as { db: Database.Database }).db;
  const stmt = db.prepare('SELECT total_changes() AS n');
  return async () => (stmt.get() as { n: number }).n;
}

export async function runHeldBacklog(task: HeldBacklogTask): Promise<Record<string, unknown>> {
  const u = await openCallout(task.ctx, task.system === 'callout-postgres' ? 'postgres' : 'sqlite');
  const c = u.callout;
  const body = { format: 'json', template: '{"a":"{{ $actionId }}"}' };
  const mock = task.ctx.mockUrl;
  await facade.createConnector(c, {
    name: 'limited',
    baseUrl: mock,
    auth: { type: 'none' },
    timeout: '10s',
    rateLimits: [{ limit: task.limit, per: '1s' }],
  });
  await facade.createConnector(c, { name: 'other', baseUrl: mock, auth: { type: 'none' }, timeout: '10s' });
  await facade.createActionType(c, { name: 'to-limited', connector: 'limited', method: 'POST', path: '/ratelimited', body });
  await facade.createActionType(c, { name: 'to-other', connector: 'other', method: 'POST', path: '/ok', body });
  const limitedType = await facade.actionTypeId(c, 'to-limited');
  const closed = { limited: 0, other: 0 };
  let throttledWrites = 0;
  facade.onAction(c, (a) => {
    if (a.state === 'closed') closed[a.actionTypeId === limitedType ? 'limited' : 'other']++;
    else if (a.phase === 'throttled') throttledWrites++;
  });
  const written = rowsWritten(u);
  const launch = async (type: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i += 5000)
      await facade.launchMany(
        c,
        Array.from({ length: Math.min(5000, n - i) }, () => ({ actionType: type, input: {} })),
      );
  };
  /** Launches `n` on the unlimited connector and times them until closed: its throughput. */
  const drainOther = async (n: number): Promise<number> => {
    const target = closed.other + n;
    const t0 = performance.now();
    await launch('to-other', n);
    const deadline = Date.now() + task.timeoutMs;
    while (closed.other < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return closed.other >= target ? (n / (performance.now() - t0)) * 1000 : NaN;
  };
  try {
    facade.start(c);
    await new Promise((r) => setTimeout(r, 300));
    await drainOther(Math.ceil(task.otherCount / 4)); // warm-up, not measured: connections, JIT
    const otherAlonePerSecond = await drainOther(task.otherCount);
    const rssBeforeMb = rssMb();
    const tl = performance.now();
    await launch('to-limited', task.held);
    const launchSeconds = (performance.now() - tl) / 1000;
    progress(`${task.held} held actions launched in ${launchSeconds.toFixed(1)} s; watching ${task.windowSeconds} s`);
    await new Promise((r) => setTimeout(r, 2000));
    const rows0 = await written();
    const sends0 = closed.limited;
    const throttled0 = throttledWrites;
    const t0 = performance.now();
    const perSecond: Array<{ t: number; rows: number; sends: number; rssMb: number }> = [];
    let lastRows = rows0;
    let lastSends = sends0;
    for (let s = 1; s <= task.windowSeconds; s++) {
      await new Promise((r) => setTimeout(r, t0 + s * 1000 - performance.now()));
      const rows = await written();
      perSecond.push({ t: s, rows: rows - lastRows, sends: closed.limited - lastSends, rssMb: Math.round(rssMb()) });
      lastRows = rows;
      lastSends = closed.limited;
    }
    const seconds = (performance.now() - t0) / 1000;
    const rows = lastRows - rows0;
    const sends = closed.limited - sends0;
    const otherBesidePerSecond = await drainOther(task.otherCount);
    const rss = perSecond.map((p) => p.rssMb);
    return {
      library: 'callout',
      settings: {
        ...u.settings,
        held: task.held,
        limit: `${task.limit} per 1s`,
        window: `${task.windowSeconds} s`,
        other: task.otherCount,
      },
      held: task.held,
      launchSeconds,
      rowsWrittenPerSecond: rows / seconds,
      limitedSendsPerSecond: sends / seconds,
      rowsPerSend: sends ? rows / sends : NaN,
      throttledWritesPerSecond: (throttledWrites - throttled0) / seconds,
      rssBeforeLaunchMb: rssBeforeMb,
      rssMedianMb: median(rss),
      rssMaxMb: Math.max(...rss),
      rssGrowthMb: rss[rss.length - 1]! - rss[0]!,
      peakRssMb: peakRssMb(),
      otherAlonePerSecond,
      otherBesidePerSecond,
      perSecond,
    };
  } finally {
    await u.close();
  }
}
