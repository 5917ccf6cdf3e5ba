// PostgreSQL's side of workload A without the engine: N actions drained by the store's own claim and
// one-statement write, 256 at a time, on one connection; the backend's CPU from /proc (same machine).
//   npx tsx bench/pg-statements.ts [N=50000] ['SQL run after the migrations, e.g. a variant of an index']
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { CLAIM_SQL } from '../src/store/postgres/claim-due.ts';
import { WRITE_ONE_STATEMENT, writesJson } from '../src/store/postgres/write-actions.ts';
import { writesTimelineJson } from '../src/store/postgres/insert-timeline.ts';
import { actionFromRow } from '../src/store/rows.ts';
const N = Number(process.argv[2] ?? 50000);
const extra = process.argv[3] ?? '';
import { ensureBenchDatabase, PG_BENCH_URL as url } from './lib/pg.ts';
await ensureBenchDatabase();
const schema = `pgstmt_${Date.now().toString(36)}`;
const s = new PostgresStore({ connectionString: url, schema });
await s.migrate();
if (extra) await s.pool.query(extra);
await s.pool.query(`INSERT INTO actions (id, action_type_id, state, phase, input, created_at, updated_at, version, due_at)
  SELECT '019ad' || lpad(g::text, 20, '0'), 'at_1', 'waiting', 'queued', '{}'::jsonb, 1000, 1000, 1, 1000 + g FROM generate_series(1, ${N}) g`);
await s.pool.query('ANALYZE');
await s.pool.query('CHECKPOINT');
await s.close();
const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
await c.connect();
const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
const cpu = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const data = {
  attempt: 1,
  request: {
    method: 'POST',
    url: 'http://127.0.0.1:40000/ok',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' },
    body: '{"a":"act_0000001"}',
  },
  durationMs: 1.2,
  response: { status: 200, body: '{"ok":true}' },
};
const c0 = cpu();
const t0 = performance.now();
let claimMs = 0,
  writeMs = 0;
for (let done = 0; done < N;) {
  let t = performance.now();
  const r = await c.query({ name: 'claim', text: CLAIM_SQL, values: [1e12, 256, 2e12, 'node', 1e12] });
  claimMs += performance.now() - t;
  const rows = r.rows.map(actionFromRow);
  const writes = rows.map((a) => ({
    action: {
      ...a,
      state: 'closed' as const,
      phase: null,
      reason: null,
      resolution: 'done_successfully' as const,
      dueAt: null,
      attempts: 1,
      updatedAt: 3000,
      closedAt: 3000,
      output: { ok: true },
      version: a.version + 1,
    },
    expectedVersion: a.version,
    timeline: [
      { at: 3000, actor: 'system' as const, kind: 'attempt' as const, message: 'POST /ok → 200', data },
      { at: 3000, actor: 'system' as const, kind: 'state_changed' as const, message: 'Closed (done)' },
    ],
    effects: [],
  }));
  t = performance.now();
  await c.query({
    name: 'write',
    text: WRITE_ONE_STATEMENT,
    values: [writesJson(writes), writesTimelineJson(writes), 'chan', writes.map((w) => w.action.id)],
  });
  writeMs += performance.now() - t;
  done += rows.length;
}
const wall = performance.now() - t0,
  used = cpu() - c0;
console.log(
  JSON.stringify({
    extra: extra.slice(0, 60),
    wallMs: Math.round(wall),
    backendCpuS: used,
    usPerAction: Math.round((used * 1e6) / N),
    claimMs: Math.round(claimMs),
    writeMs: Math.round(writeMs),
  }),
);
await c.query(`DROP SCHEMA ${schema} CASCADE`);
await c.end();
