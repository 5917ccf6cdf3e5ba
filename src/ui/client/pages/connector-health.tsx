// A connector's health over time, on its page: attempts per bucket (successes and failures stacked,
// average latency as a line) over the last hour, day or week (`?window=` in the address), the same as
// a table for screen readers and anyone who wants the numbers, what holds it now, and warnings only
// where someone can act. Drawn inline: no chart library.

import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { api } from '../api.ts';
import { qs, useLocation } from '../router.ts';
import { ErrorBox, Time, useData, when } from '../components.tsx';
import { onChangesEvery } from '../live.ts';

interface Failed {
  connection: number;
  timeout: number;
  http4xx: number;
  http5xx: number;
}
interface Bucket {
  at: string;
  ok: number;
  failed: Failed;
  latency: { avgMs: number | null; maxMs: number | null; p95Ms: number | null };
}
interface Health {
  window: string;
  bucketMs: number;
  flushIntervalMs: number;
  buckets: Bucket[];
  recent: { minutes: number; ok: number; failed: Failed };
  current: {
    status: { circuit: string; failures: number; retryAt?: string | null; lastError?: string | null };
    throttled: number;
    inFlight: number;
    rateLimits: Array<{ limit: number; per: number; used: number; windowEndsAt: string }>;
  };
}

const WINDOWS: Array<[string, string]> = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];
/** Failures worth a warning: this share of at least MIN_ATTEMPTS attempts in the recent minutes. */
const WARN_SHARE = 0.2;
const MIN_ATTEMPTS = 5;

const SPANS: Array<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];
/** A span as said: "minute", "15 minutes", "10 seconds". */
function spanText(ms: number): string {
  for (const [unit, size] of SPANS) if (ms % size === 0) return ms === size ? unit : `${ms / size} ${unit}s`;
  return `${ms} ms`;
}

const failedOf = (f: Failed): number => f.connection + f.timeout + f.http4xx + f.http5xx;
const ms = (n: number | null): string => (n === null ? '–' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);
const pct = (n: number, of: number): string => `${Math.round((100 * n) / of)} %`;
const kinds = (f: Failed): string =>
  (
    [
      [f.http5xx, 'HTTP 5xx'],
      [f.http4xx, 'HTTP 4xx'],
      [f.timeout, 'timeouts'],
      [f.connection, 'connection errors'],
    ] as Array<[number, string]>
  )
    .filter(([n]) => n > 0)
    .map(([n, w]) => `${n} ${w}`)
    .join(', ');

/** What a person can do about the connector now; nothing when all is well. */
function warnings(h: Health): Array<{ key: string; text: ComponentChildren }> {
  const out: Array<{ key: string; text: ComponentChildren }> = [];
  const s = h.current.status;
  if (s.circuit === 'open')
    out.push({
      key: 'circuit',
      text: (
        <>
          Circuit open after {s.failures} failures in a row{s.lastError ? ` (last: ${s.lastError})` : ''}: sends wait until{' '}
          {s.retryAt ? <Time iso={s.retryAt} /> : 'the cooldown ends'}, then one probe tries the system. Check the system, or pause the
          actions that use it.
        </>
      ),
    });
  const r = h.recent;
  const failed = failedOf(r.failed);
  const total = r.ok + failed;
  if (total >= MIN_ATTEMPTS && failed / total >= WARN_SHARE) {
    const before = h.buckets.reduce((a, b) => ({ ok: a.ok + b.ok, failed: a.failed + failedOf(b.failed) }), { ok: 0, failed: 0 });
    const all = before.ok + before.failed;
    const rose = all > total && before.failed / all < failed / total;
    const refused = r.failed.http4xx >= failed / 2;
    out.push({
      key: 'failures',
      text: (
        <>
          Failures {rose ? 'rose to' : 'are at'} {pct(failed, total)} in the last {r.minutes} minutes ({failed} of {total} attempts:{' '}
          {kinds(r.failed)}).{' '}
          {refused
            ? "The system refuses the requests: check the action types' requests and the connector's credentials."
            : 'The system fails or does not answer: check it, or pause the actions that use it.'}
        </>
      ),
    });
  }
  const full = h.current.rateLimits.find((l) => l.used >= l.limit);
  if (h.current.throttled > 0 && full)
    out.push({
      key: 'rate',
      text: (
        <>
          {h.current.throttled.toLocaleString()} actions wait: the limit of {full.limit.toLocaleString()} per {spanText(full.per)} is used
          up until <Time iso={full.windowEndsAt} />. Raise it if the system allows more.
        </>
      ),
    });
  return out;
}

/** Successes and failures stacked per bucket, the average latency as a line over them (its own scale). */
function Chart({ h, label }: { h: Health; label: string }) {
  const w = 600;
  const ht = 120;
  const n = h.buckets.length;
  const bw = w / n;
  const most = Math.max(1, ...h.buckets.map((b) => b.ok + failedOf(b.failed)));
  const slowest = Math.max(1, ...h.buckets.map((b) => b.latency.avgMs ?? 0));
  const y = (v: number, max: number): number => ht - (v / max) * (ht - 4);
  const points = h.buckets.flatMap((b, i) => (b.latency.avgMs === null ? [] : [[i * bw + bw / 2, y(b.latency.avgMs, slowest)] as const]));
  const line = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  return (
    <figure>
      <svg viewBox={`0 0 ${w} ${ht}`} class="health-chart" role="img" aria-label={label} data-testid="health-chart">
        {h.buckets.map((b, i) => {
          const failed = failedOf(b.failed);
          if (b.ok + failed === 0) return null;
          const okH = ht - y(b.ok, most);
          const fH = ht - y(failed, most);
          return (
            <g key={b.at}>
              <title>{`${when(b.at)}: ${b.ok} succeeded, ${failed} failed, average ${ms(b.latency.avgMs)}`}</title>
              <rect class="sends" x={i * bw} y={ht - okH - fH} width={Math.max(1, bw - 1)} height={okH} />
              <rect class="failures" x={i * bw} y={ht - fH} width={Math.max(1, bw - 1)} height={fH} />
            </g>
          );
        })}
        {line && <polyline class="latency" points={line} />}
        {/* A dot per bucket: a lone bucket's line would not show. */}
        {points.map(([px, py]) => (
          <circle key={px} class="latency" cx={px.toFixed(1)} cy={py.toFixed(1)} r="2" />
        ))}
      </svg>
      <figcaption>
        <span class="key sends">■</span> succeeded <span class="key failures">■</span> failed <span class="key latency">—</span> average
        latency (highest {ms(slowest)}) · {when(h.buckets[0]!.at)} to {when(h.buckets[n - 1]!.at)}
      </figcaption>
    </figure>
  );
}

export function ConnectorHealth({ id, name }: { id: string; name: string }) {
  const loc = useLocation();
  const asked = loc.query.get('window') ?? '1h';
  const span = WINDOWS.some(([w]) => w === asked) ? asked : '1h';
  const health = useData(() => api<Health>('GET', `/v1/connectors/${encodeURIComponent(id)}/health${qs({ window: span })}`), [id, span]);
  useEffect(() => onChangesEvery(10_000, health.reload), [id, span]);
  const h = health.data;
  const totals = h?.buckets.reduce((a, b) => ({ ok: a.ok + b.ok, failed: a.failed + failedOf(b.failed) }), { ok: 0, failed: 0 });
  const title = WINDOWS.find(([w]) => w === span)![1];
  const summary = totals
    ? `${name}, ${title.toLowerCase()}: ${totals.ok.toLocaleString()} attempts succeeded and ${totals.failed.toLocaleString()} failed` +
      (totals.ok + totals.failed > 0 ? ` (${pct(totals.failed, totals.ok + totals.failed)} failed)` : '')
    : '';
  const busy = h?.buckets.filter((b) => b.ok + failedOf(b.failed) > 0) ?? [];
  return (
    <section aria-labelledby="health-h" class="panel">
      <h2 id="health-h" tabIndex={-1}>
        Health
      </h2>
      <ul class="tabs" aria-label="Period">
        {WINDOWS.map(([w, label]) => (
          <li key={w}>
            <a
              href={`/ui/connectors/${encodeURIComponent(id)}${qs({ window: w === '1h' ? undefined : w })}`}
              data-focus="health-h"
              class={w === span ? 'active' : undefined}
              aria-current={w === span ? 'page' : undefined}
            >
              {label}
            </a>
          </li>
        ))}
      </ul>
      <ErrorBox error={health.error} />
      {h && (
        <>
          {warnings(h).map((x) => (
            <p key={x.key} class="warn" role="status" data-testid={`health-warn-${x.key}`}>
              {x.text}
            </p>
          ))}
          <p data-testid="health-now">
            Now: circuit {h.current.status.circuit.replace('_', ' ')}
            {h.current.rateLimits.map((l) => (
              <span key={l.per}>
                {' · '}
                {l.used.toLocaleString()} of {l.limit.toLocaleString()} per {spanText(l.per)} used (renews at <Time iso={l.windowEndsAt} />)
              </span>
            ))}
            {' · '}
            {h.current.throttled.toLocaleString()} throttled · {h.current.inFlight} in flight on this node
          </p>
          <p data-testid="health-summary">{summary}.</p>
          <Chart h={h} label={summary} />
          <details>
            <summary>The numbers, per {spanText(h.bucketMs)}</summary>
            {busy.length === 0 ? (
              <p class="empty">No attempts in this period.</p>
            ) : (
              <table data-testid="health-table">
                <caption class="sr-only">{summary}; periods without attempts are left out</caption>
                <thead>
                  <tr>
                    <th scope="col">From</th>
                    <th scope="col">Succeeded</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Failures by kind</th>
                    <th scope="col">Average</th>
                    <th scope="col">p95 (estimate)</th>
                    <th scope="col">Slowest</th>
                  </tr>
                </thead>
                <tbody>
                  {busy.map((b) => (
                    <tr key={b.at}>
                      <th scope="row">
                        <Time iso={b.at} />
                      </th>
                      <td>{b.ok.toLocaleString()}</td>
                      <td>{failedOf(b.failed).toLocaleString()}</td>
                      <td>{kinds(b.failed) || '–'}</td>
                      <td>{ms(b.latency.avgMs)}</td>
                      <td>{ms(b.latency.p95Ms)}</td>
                      <td>{ms(b.latency.maxMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </details>
          <p class="hint">Each Callout node adds its counts every {spanText(h.flushIntervalMs)}: the last seconds may not show yet.</p>
        </>
      )}
    </section>
  );
}
