// The dashboard: counts by state (each a link to the work list), and per connector its circuit,
// throttled backlog and a chart of sends and failures per minute over the last hour.

import { useEffect } from 'preact/hooks';
import { api } from '../api.ts';
import { qs } from '../router.ts';
import { ErrorBox, PHASE_LABELS, STATE_LABELS, Time, useData } from '../components.tsx';
import { fullTime } from '../times.ts';
import { useTimeZone } from '../time-zone.ts';
import { onChangesEvery } from '../live.ts';

interface Point {
  at: string;
  sends: number;
  failures: number;
}
interface ConnectorHealth {
  id: string;
  name: string;
  status: { circuit: string; failures: number; needsAttention: string | null; lastError?: string | null };
  throttled: number;
  series: Point[];
}

/** Bars of sends with their failures over them, one per minute; drawn inline, no chart library. */
function Chart({ series, name }: { series: Point[]; name: string }) {
  const w = 360;
  const h = 80;
  const max = Math.max(1, ...series.map((p) => p.sends));
  const bw = w / series.length;
  const sends = series.reduce((s, p) => s + p.sends, 0);
  const failures = series.reduce((s, p) => s + p.failures, 0);
  const zone = useTimeZone();
  return (
    <figure>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        width={w}
        height={h}
        role="img"
        aria-label={`${name}: ${sends} sends and ${failures} failures in the last hour`}
      >
        {series.map((p, i) => {
          const sh = (p.sends / max) * (h - 2);
          const fh = (Math.min(p.failures, p.sends || p.failures) / max) * (h - 2);
          return (
            <g key={p.at}>
              <title>{`${fullTime(new Date(p.at), zone)}: ${p.sends} sends, ${p.failures} failures`}</title>
              <rect class="sends" x={i * bw} y={h - sh} width={Math.max(1, bw - 1)} height={sh} />
              <rect class="failures" x={i * bw} y={h - fh} width={Math.max(1, bw - 1)} height={fh} />
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="key sends">■</span> {sends} sends <span class="key failures">■</span> {failures} failures — last hour, per minute
      </figcaption>
    </figure>
  );
}

interface Lateness {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const ms = (n: number): string => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);

/** How late due actions were picked up over the last minute: the engine keeping its timers. */
function TimerLateness({ l }: { l: Lateness | null }) {
  return (
    <section aria-labelledby="lateness-h">
      <h2 id="lateness-h">Timer lateness (last minute)</h2>
      {l === null ? (
        <p class="empty">Nothing came due in the last minute.</p>
      ) : (
        <ul class="tiles" data-testid="timer-lateness">
          <li>
            <span class="big" data-testid="lateness-p50">
              {ms(l.p50Ms)}
            </span>{' '}
            median
          </li>
          <li>
            <span class="big" data-testid="lateness-p99">
              {ms(l.p99Ms)}
            </span>{' '}
            p99
          </li>
          <li>
            <span class="big">{l.samples.toLocaleString()}</span> actions claimed
          </li>
        </ul>
      )}
    </section>
  );
}

export function DashboardPage() {
  const counts = useData(() => api<{ states: Record<string, number>; phases: Record<string, number> }>('GET', '/v1/actions/counts'), []);
  const dash = useData(
    () => api<{ connectors: ConnectorHealth[]; since: string; timerLateness: Lateness | null }>('GET', '/v1/dashboard'),
    [],
  );
  useEffect(
    () =>
      onChangesEvery(3000, () => {
        counts.reload();
        dash.reload();
      }),
    [],
  );
  const open = dash.data?.connectors.filter((c) => c.status.circuit !== 'closed') ?? [];
  return (
    <main id="main">
      <h1 tabIndex={-1}>Dashboard</h1>
      <ErrorBox error={counts.error} />
      {counts.data && (
        <ul class="tiles" aria-label="Actions by state">
          {Object.entries(counts.data.states).map(([s, n]) => (
            <li key={s}>
              <a href={`/ui/work${qs({ state: s })}`}>
                <span class="big">{n.toLocaleString()}</span> {STATE_LABELS[s] ?? s}
              </a>
            </li>
          ))}
          {(['retry_scheduled', 'throttled', 'awaiting_callback'] as const).map((p) => (
            <li key={p}>
              <a href={`/ui/work${qs({ state: 'waiting', phase: p })}`}>
                <span class="big">{(counts.data?.phases[p] ?? 0).toLocaleString()}</span> {PHASE_LABELS[p]}
              </a>
            </li>
          ))}
        </ul>
      )}
      {dash.data && <TimerLateness l={dash.data.timerLateness} />}
      <h2>Connectors</h2>
      <ErrorBox error={dash.error} />
      {open.length > 0 && (
        <p class="warn" role="status">
          Circuit open: {open.map((c) => c.name).join(', ')} — sends are held until the system answers again.
        </p>
      )}
      <div class="connectors">
        {dash.data?.connectors.map((c) => (
          <section key={c.id} class="panel" aria-label={`Connector ${c.name}`}>
            <h3>{c.name}</h3>
            <p>
              Circuit <span class={`badge circuit-${c.status.circuit}`}>{c.status.circuit.replace('_', ' ')}</span>
              {c.status.needsAttention && <span class="badge bad">Needs attention: {c.status.needsAttention}</span>}
              {' · '}
              {c.throttled > 0 ? (
                // This connector's held actions, as counted here: not every connector's.
                <a href={`/ui/work${qs({ state: 'waiting', phase: 'throttled', connector: c.name })}`}>{c.throttled} throttled</a>
              ) : (
                'nothing throttled'
              )}
            </p>
            <Chart series={c.series} name={c.name} />
          </section>
        ))}
      </div>
      {dash.data && (
        <p class="hint">
          Activity counted by this Callout node since <Time iso={dash.data.since} />.
        </p>
      )}
    </main>
  );
}
