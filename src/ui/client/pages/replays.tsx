// Bulk replay (POST /v1/bulk-replays): retry every action matching a filter, or close every To Do one.
// The filter and operation are the URL; the page previews (a dry run) what the URL says, and Run is
// offered only for that preview: confirmed by its count, sent once with one Idempotency-Key, and
// limited to that many actions, so a run never changes more than the person agreed to. The preview
// counts the matches per state and reason and, for a retry, shows the requests the first few would
// send (masked, not sent); a run is kept on the server, and its report has its own page (ReplayRunPage).
// Below the form, the person's recent runs (GET /v1/bulk-replays), each linked to its page.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, newIdempotencyKey, readWholeList, type Session } from '../api.ts';
import { navigate, qs } from '../router.ts';
import {
  ErrorBox,
  Field,
  REASON_LABELS,
  RESOLUTION_LABELS,
  STATE_LABELS,
  Time,
  Timed,
  announce,
  useData,
  useFormState,
} from '../components.tsx';

import { FILTER_KEYS, NARROWING } from '../replay-link.ts';

const MAX_REPLAY = 10_000;

/** The form as typed; `closeAs` is the close's resolution (the filter has a `resolution` of its own). */
type Form = Record<(typeof FILTER_KEYS)[number] | 'operation' | 'closeAs' | 'note', string>;
const FORM_KEYS = [...FILTER_KEYS, 'operation', 'closeAs', 'note'] as const;

const formOf = (q: URLSearchParams): Form => {
  const f = Object.fromEntries(FORM_KEYS.map((k) => [k, q.get(k) ?? ''])) as Form;
  // The API's defaults, as the form shows them.
  if (f.operation !== 'close') f.operation = 'retry';
  if (f.timeField === 'updatedAt') f.timeField = '';
  return f;
};

const hrefOf = (f: Form): string =>
  `/ui/replays${qs({ ...f, operation: f.operation, closeAs: f.operation === 'close' ? f.closeAs : undefined, note: f.operation === 'close' ? f.note : undefined })}`;

function bodyOf(f: Form, dryRun: boolean, max?: number, selection?: string): Record<string, unknown> {
  const filter = Object.fromEntries(FILTER_KEYS.filter((k) => f[k] !== '').map((k) => [k, f[k]]));
  const close = f.operation === 'close';
  return {
    filter,
    operation: close ? 'close' : 'retry',
    ...(close && f.closeAs ? { resolution: f.closeAs } : {}),
    ...(close && f.note ? { note: f.note } : {}),
    dryRun,
    ...(max !== undefined ? { max } : {}),
    ...(selection !== undefined ? { selection } : {}),
  };
}

interface Brief {
  id: string;
  actionType: string | null;
  state: string;
  reason: string | null;
  resolution: string | null;
  updatedAt: string | null;
  closedAt: string | null;
}
interface ShownRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}
interface DryRun {
  dryRun: true;
  count: number;
  byState?: Record<string, number>;
  requests?: Array<{ id: string; request?: ShownRequest; error?: string }>;
  sample: Brief[];
  /** The matching actions as of this preview, kept for one run: the run acts on these and no others. */
  selection?: { id: string; count: number; previewedAt: string; expiresAt: string };
}
interface RunReport {
  dryRun: false;
  id?: string;
  operation: 'retry' | 'close';
  count: number;
  done: number;
  skipped: number;
  remaining: number;
  items: Array<{ id: string; status: 'done' | 'skipped'; reason?: string }>;
}

/** "todo/request_rejected" as a person reads it: "To Do – Request Rejected". */
function stateWords(key: string): string {
  const [state = '', detail] = key.split('/');
  const s = STATE_LABELS[state] ?? state;
  return detail === undefined ? s : `${s} – ${REASON_LABELS[detail] ?? RESOLUTION_LABELS[detail] ?? detail}`;
}

/** A request as HTTP text, as the action page shows an attempt's. */
const httpText = (r: ShownRequest): string =>
  `${r.method} ${r.url}\n${Object.entries(r.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}${r.body ? `\n\n${r.body}` : ''}`;

/** What the person is asked to confirm: the preview's selection (its count and time), with the run's key. */
interface Confirming {
  search: string;
  key: string;
  count: number;
  selection?: string;
  previewedAt?: string;
}

const plural = (n: number, one: string): string => `${n.toLocaleString()} ${one}${n === 1 ? '' : 's'}`;
const SHOWN_ITEMS = 200;
const FOLLOW_MS = 2000;

export function ReplaysPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const search = query.toString();
  const asked = formOf(query);
  const [form, setForm] = useFormState(search, () => formOf(query));
  const set = (k: keyof Form) => (e: { currentTarget: { value: string } }) => setForm((f) => ({ ...f, [k]: e.currentTarget.value }));
  // Previewed only once the URL says enough: a filter that narrows, and for a close how they close.
  const ready = NARROWING.some((k) => asked[k] !== '') && (asked.operation !== 'close' || asked.closeAs !== '');
  const preview = useData(
    () => (ready ? api<DryRun>('POST', '/v1/bulk-replays', bodyOf(asked, true)) : Promise.resolve(undefined)),
    [search],
  );
  const dirty = FORM_KEYS.some((k) => form[k] !== asked[k]);
  // The sample names action types by id: shown by name where the list has it.
  const types = useData(() => readWholeList<{ id: string; name: string }>('/v1/action-types'), []);
  const typeName = (id: string | null): string => (id === null ? 'manual task' : (types.data?.items.find((t) => t.id === id)?.name ?? id));

  // The run: its key is taken when the person is asked to confirm, and one request goes at a time.
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [run, setRun] = useState<{ search: string; report?: RunReport; error?: unknown; following?: boolean } | null>(null);
  const busy = useRef(false);
  // Following a run stops when the person leaves the screen.
  const shown = useRef(true);
  useEffect(
    () => () => {
      shown.current = false;
    },
    [],
  );
  const confirmed = confirming?.search === search ? confirming : null;
  const shownRun = run?.search === search ? run : null;
  // The buttons that open and close the confirmation replace each other: the focus follows (it fell to
  // the page itself, and a keyboard user started again from the top).
  const wasConfirming = useRef(false);
  useEffect(() => {
    const now = confirmed !== null;
    if (now && !wasConfirming.current) document.getElementById('replay-confirm')?.focus();
    else if (!now && wasConfirming.current) document.getElementById('replay-run')?.focus();
    wasConfirming.current = now;
  }, [confirmed !== null]);

  const submit = (e: Event): void => {
    e.preventDefault();
    setConfirming(null);
    setRun(null);
    const href = hrefOf(form);
    // The same filter again (after a run, say): counted again, as the actions have moved.
    if (href === `${window.location.pathname}${window.location.search}`) preview.reload();
    else navigate(href);
  };
  const start = async (c: Confirming): Promise<void> => {
    if (busy.current) return;
    busy.current = true;
    setRun({ search: c.search });
    // The pressed button is disabled while it runs: the focus goes to the run's heading, where its progress is said.
    setTimeout(() => document.getElementById('run-h')?.focus(), 0);
    // And back there if it was lost once the answer came: a double click's second press can focus the
    // button again before it is disabled, and the button goes with the answer (the focus fell to the page).
    const refocus = (): void =>
      void setTimeout(() => {
        const at = document.activeElement;
        if (at === null || at === document.body || !at.isConnected) document.getElementById('run-h')?.focus();
      }, 0);
    // The previewed selection: the run acts on exactly the actions the person saw counted.
    const body = bodyOf(asked, false, Math.min(c.count, MAX_REPLAY), c.selection);
    try {
      for (;;) {
        try {
          const report = await api<RunReport>('POST', '/v1/bulk-replays', body, 'application/json', { 'idempotency-key': c.key });
          setRun({ search: c.search, report });
          announce(`Bulk ${report.operation}: ${report.done} done, ${report.skipped} skipped`);
          return;
        } catch (err) {
          // The same key still running (sent again after a lost answer): asked again until it answers its report.
          if (!(err instanceof ApiError && err.status === 409 && err.detail.includes('still running'))) throw err;
          if (!shown.current) return;
          setRun({ search: c.search, following: true });
          await new Promise((r) => setTimeout(r, FOLLOW_MS));
        }
      }
    } catch (err) {
      setRun({ search: c.search, error: err });
    } finally {
      busy.current = false;
      refocus();
    }
  };

  const verb = asked.operation === 'close' ? 'Close' : 'Retry';
  // Only the answer to this filter's latest count: while another (or a recount) is on its way, the one
  // before is not shown, as Run would act on this filter with that count.
  const p = ready && !preview.error && preview.current ? preview.data : undefined;
  const mayRun = p !== undefined && p.count > 0 && !dirty && !shownRun?.report;
  return (
    <main id="main">
      <h1 tabIndex={-1}>Bulk replay</h1>
      <p class="hint">
        Retry every action matching a filter, or close every To Do one. Preview first: it counts and samples the actions and changes
        nothing; Run then acts on the actions that preview matched (for an hour after it), paced by each connector's limits.
      </p>
      <form class="form" onSubmit={submit} aria-label="Bulk replay">
        <fieldset>
          <legend>Actions</legend>
          <div class="row">
            <Field label="Connector" id="r-connector">
              <input id="r-connector" value={form.connector} onInput={set('connector')} />
            </Field>
            <Field label="Action type" id="r-actionType">
              <input id="r-actionType" value={form.actionType} onInput={set('actionType')} />
            </Field>
          </div>
          <div class="row">
            <Field label="State" id="r-state">
              <select id="r-state" value={form.state} onChange={set('state')}>
                <option value="">Any</option>
                {Object.entries(STATE_LABELS).map(([v, l]) => (
                  <option value={v}>{l}</option>
                ))}
              </select>
            </Field>
            <Field label="Reason" id="r-reason">
              <select id="r-reason" value={form.reason} onChange={set('reason')}>
                <option value="">Any</option>
                {Object.entries(REASON_LABELS).map(([v, l]) => (
                  <option value={v}>{l}</option>
                ))}
              </select>
            </Field>
            <Field label="Resolution" id="r-resolution">
              <select id="r-resolution" value={form.resolution} onChange={set('resolution')}>
                <option value="">Any</option>
                {Object.entries(RESOLUTION_LABELS).map(([v, l]) => (
                  <option value={v}>{l}</option>
                ))}
              </select>
            </Field>
          </div>
          <div class="row">
            <Field label="Queue" id="r-queue">
              <input id="r-queue" value={form.queue} onInput={set('queue')} />
            </Field>
            <Field label="Case id" id="r-caseId">
              <input id="r-caseId" value={form.caseId} onInput={set('caseId')} />
            </Field>
          </div>
          <div class="row">
            <Field label="Since" id="r-since" hint="e.g. 2026-12-01T09:00:00Z">
              <input id="r-since" value={form.since} onInput={set('since')} aria-describedby="r-since-hint" />
            </Field>
            <Field label="Until (before)" id="r-until" hint="with a zone: Z or +01:00">
              <input id="r-until" value={form.until} onInput={set('until')} aria-describedby="r-until-hint" />
            </Field>
            <Field label="Times are of" id="r-timeField">
              <select id="r-timeField" value={form.timeField} onChange={set('timeField')}>
                <option value="">the last update</option>
                <option value="closedAt">the closing</option>
              </select>
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Operation</legend>
          <label class="inline">
            <input type="radio" name="operation" value="retry" checked={form.operation !== 'close'} onChange={set('operation')} /> Retry
          </label>
          <label class="inline">
            <input type="radio" name="operation" value="close" checked={form.operation === 'close'} onChange={set('operation')} /> Close (To
            Do only)
          </label>
          {form.operation === 'close' && (
            <div class="row">
              <Field label="Close as" id="r-closeAs">
                <select id="r-closeAs" value={form.closeAs} onChange={set('closeAs')} required>
                  <option value="">Choose…</option>
                  {Object.entries(RESOLUTION_LABELS).map(([v, l]) => (
                    <option value={v}>{l}</option>
                  ))}
                </select>
              </Field>
              <Field label="Note" id="r-note" hint="Kept on each closed action's timeline.">
                <input id="r-note" value={form.note} onInput={set('note')} aria-describedby="r-note-hint" maxLength={2000} />
              </Field>
            </div>
          )}
        </fieldset>
        <button type="submit">Preview</button>
      </form>

      <section aria-labelledby="preview-h">
        <h2 id="preview-h">Preview</h2>
        {!ready && <p class="empty">Choose at least one filter{asked.operation === 'close' ? ' and how they close' : ''}, then Preview.</p>}
        {ready && <ErrorBox error={preview.error} />}
        {ready && !p && !preview.error && <p class="loading">Counting…</p>}
        {p && (
          <div data-testid="preview">
            <p>
              <strong data-testid="preview-count">{plural(p.count, 'action')}</strong> match
              {p.count === 1 ? 'es' : ''}
              {asked.state && `, all ${STATE_LABELS[asked.state] ?? asked.state}`}. {verb}{' '}
              {p.count > MAX_REPLAY ? `the oldest ${MAX_REPLAY.toLocaleString()}` : 'them'}
              {asked.operation === 'close' && ` as ${RESOLUTION_LABELS[asked.closeAs] ?? asked.closeAs}`}.
            </p>
            {p.byState && Object.keys(p.byState).length > 0 && (
              <table data-testid="by-state">
                <caption>By state</caption>
                <thead>
                  <tr>
                    <th scope="col">State</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(p.byState)
                    .sort((a, b) => b[1] - a[1])
                    .map(([k, n]) => (
                      <tr key={k} data-state={k}>
                        <td>{stateWords(k)}</td>
                        <td>{n.toLocaleString()}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )}
            {p.requests && p.requests.length > 0 && (
              <div data-testid="requests">
                <h3>What a retry would send</h3>
                <p class="hint">
                  The requests of the first {plural(p.requests.length, 'action')}, rendered now and not sent; credentials are masked.
                </p>
                {p.requests.map((r) => {
                  const sampled = p.sample.find((x) => x.id === r.id);
                  return (
                    <div key={r.id} data-id={r.id}>
                      <p>
                        {/* Linked in the sample below; named by its action type, as the sample names it. */}
                        {sampled && `${typeName(sampled.actionType)} · `}
                        <code>{r.id}</code>
                      </p>
                      {r.request ? <pre>{httpText(r.request)}</pre> : <p class="warn">Its retry would send nothing: {r.error}</p>}
                    </div>
                  );
                })}
              </div>
            )}
            {p.sample.length > 0 && (
              <table>
                <caption>{p.count > p.sample.length ? `The oldest ${p.sample.length}` : 'All of them'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">Action type</th>
                    <th scope="col">State</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {p.sample.map((a) => (
                    <tr key={a.id} data-id={a.id}>
                      <td>
                        <a href={`/ui/actions/${a.id}`}>
                          <code>{a.id}</code>
                        </a>
                      </td>
                      <td>{typeName(a.actionType)}</td>
                      <td>
                        {[
                          STATE_LABELS[a.state] ?? a.state,
                          a.reason && (REASON_LABELS[a.reason] ?? a.reason),
                          a.resolution && RESOLUTION_LABELS[a.resolution],
                        ]
                          .filter(Boolean)
                          .join(' – ')}
                      </td>
                      <td>
                        <Time iso={a.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {dirty && <p class="warn">The form has changed since this preview: Preview again to run it.</p>}
            {mayRun && !confirmed && (
              <p>
                <button
                  type="button"
                  id="replay-run"
                  onClick={() =>
                    setConfirming({
                      search,
                      key: newIdempotencyKey('ui-replay'),
                      count: p.selection?.count ?? p.count,
                      ...(p.selection ? { selection: p.selection.id, previewedAt: p.selection.previewedAt } : {}),
                    })
                  }
                >
                  Run…
                </button>
              </p>
            )}
            {mayRun && confirmed && (
              <div class="notice" role="group" aria-labelledby="confirm-h">
                {confirmed.previewedAt ? (
                  <p id="confirm-h">
                    {verb} {plural(confirmed.count, 'action')}, as previewed at <Time iso={confirmed.previewedAt} />? Actions that started
                    matching since are not included; any that changed since are skipped and listed.
                  </p>
                ) : (
                  <p id="confirm-h">
                    {verb} {plural(Math.min(confirmed.count, MAX_REPLAY), 'action')}? Actions that match now but did not in the preview are
                    not added beyond that count.
                  </p>
                )}
                <div class="buttons">
                  <button
                    type="button"
                    id="replay-confirm"
                    disabled={shownRun !== null && !shownRun.error}
                    onClick={() => void start(confirmed)}
                  >
                    {verb} {plural(Math.min(confirmed.count, MAX_REPLAY), 'action')}
                  </button>
                  <button type="button" class="link" disabled={shownRun !== null && !shownRun.error} onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
      </section>

      {shownRun && (
        <section aria-labelledby="run-h">
          <h2 id="run-h" tabIndex={-1}>
            Run
          </h2>
          {!shownRun.report && !shownRun.error && (
            <p class="loading" role="status">
              {shownRun.following ? 'Still running on the server; asking again…' : 'Running…'}
            </p>
          )}
          <ErrorBox error={shownRun.error} />
          {shownRun.report && <Report r={shownRun.report} previewed={confirmed?.count} />}
        </section>
      )}
      <RecentRuns user={session.actsAs} ran={shownRun?.report?.id} />
    </main>
  );
}

function Report({ r, previewed }: { r: RunReport; previewed: number | undefined }) {
  const did = r.operation === 'close' ? 'Closed' : 'Retried';
  return (
    <div data-testid="report">
      <p>
        <strong data-testid="report-done">
          {did} {plural(r.done, 'action')}
        </strong>
        , skipped {r.skipped.toLocaleString()}.
        {previewed !== undefined &&
          r.count !== previewed &&
          ` ${plural(r.count, 'action')} matched when it ran; the preview counted ${previewed.toLocaleString()}.`}
        {r.remaining > 0 && ` ${plural(r.remaining, 'more action')} match: preview again to run them.`}
      </p>
      {r.id !== undefined && (
        <p>
          Kept on the server:{' '}
          <a href={`/ui/replays/${r.id}`} data-testid="run-link">
            this run's report
          </a>
          .
        </p>
      )}
      <table>
        <caption>{r.items.length > SHOWN_ITEMS ? `The first ${SHOWN_ITEMS} of ${r.items.length.toLocaleString()}` : 'Each action'}</caption>
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {r.items.slice(0, SHOWN_ITEMS).map((i) => (
            <tr key={i.id} data-id={i.id}>
              <td>
                <a href={`/ui/actions/${i.id}`}>
                  <code>{i.id}</code>
                </a>
              </td>
              <td>{i.status === 'done' ? did.toLowerCase() : `skipped: ${i.reason ?? ''}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const STATUS_WORDS: Record<KeptRun['status'], string> = {
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  interrupted: 'Interrupted',
};
const RECENT_RUNS = 10;

/** The person's newest runs (an admin's own too, not everyone's), read again after each run here. */
function RecentRuns({ user, ran }: { user: string; ran: string | undefined }) {
  const runs = useData(
    () =>
      api<{ items: Array<Omit<KeptRun, 'items' | 'nextItem'>> }>(
        'GET',
        `/v1/bulk-replays${qs({ createdBy: user, limit: String(RECENT_RUNS) })}`,
      ),
    [user, ran],
  );
  const items = runs.data?.items;
  return (
    <section aria-labelledby="recent-h">
      <h2 id="recent-h">Recent runs</h2>
      <ErrorBox error={runs.error} />
      {!items && !runs.error && <p class="loading">Loading…</p>}
      {items?.length === 0 && <p class="empty">You have not run a bulk replay yet (runs are kept for 30 days).</p>}
      {items && items.length > 0 && (
        <table data-testid="recent-runs">
          <caption>Your newest {plural(items.length, 'run')}, kept for 30 days</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Operation</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-id={r.id}>
                <td>
                  <a href={`/ui/replays/${encodeURIComponent(r.id)}`}>
                    <Time iso={r.createdAt} />
                  </a>
                </td>
                <td>{r.operation === 'close' ? 'Close' : 'Retry'}</td>
                <td>{STATUS_WORDS[r.status] ?? r.status}</td>
                <td>
                  {r.done.toLocaleString()} {r.operation === 'close' ? 'closed' : 'retried'}, {r.skipped.toLocaleString()} skipped of{' '}
                  {r.count.toLocaleString()}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface KeptRun {
  id: string;
  operation: 'retry' | 'close';
  status: 'running' | 'done' | 'failed' | 'interrupted';
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  request: { filter: Record<string, string>; operation: string; resolution?: string; note?: string; max?: number };
  count: number;
  done: number;
  skipped: number;
  remaining: number;
  error: string | null;
  items: Array<{ n: number; id: string; status: 'done' | 'skipped'; reason?: string }>;
  nextItem: number | null;
}

const RUN_PAGE = 200;

/** A kept run (GET /v1/bulk-replays/{id}): its request, totals and a page of its items; `after` in the URL pages. */
export function ReplayRunPage({ id, query }: { id: string; query: URLSearchParams }) {
  const after = /^[0-9]{1,9}$/.test(query.get('after') ?? '') ? (query.get('after') as string) : undefined;
  const run = useData(
    () => api<KeptRun>('GET', `/v1/bulk-replays/${encodeURIComponent(id)}${qs({ afterItem: after, limit: String(RUN_PAGE) })}`),
    [id, after],
  );
  const r = run.data;
  // A run still going is followed until it ends (or reads as interrupted: its node stopped).
  useEffect(() => {
    if (r?.status !== 'running') return;
    const t = setTimeout(run.reload, FOLLOW_MS);
    return () => clearTimeout(t);
  }, [r]);
  const did = r?.operation === 'close' ? 'closed' : 'retried';
  const again =
    r && `/ui/replays${qs({ ...r.request.filter, operation: r.request.operation, closeAs: r.request.resolution, note: r.request.note })}`;
  return (
    <main id="main">
      <h1 tabIndex={-1}>Bulk {r?.operation ?? 'replay'} run</h1>
      <ErrorBox error={run.error} />
      {!r && !run.error && <p class="loading">Loading…</p>}
      {r && (
        <div data-testid="kept-run">
          <p data-testid="run-status">
            {r.status === 'done' && (
              <>
                Done <Time iso={r.finishedAt} />
              </>
            )}
            {r.status === 'failed' && `Stopped: ${r.error ?? ''}`}
            {r.status === 'interrupted' && (
              <>
                Interrupted: <Timed text={r.error ?? ''} />
              </>
            )}
            {r.status === 'running' && (
              <>
                Running; last moved <Time iso={r.updatedAt} />
              </>
            )}
            {' — '}started <Time iso={r.createdAt} /> by {r.createdBy}.
          </p>
          <p>
            <strong data-testid="run-totals">
              {plural(r.done, 'action')} {did}, {r.skipped.toLocaleString()} skipped
            </strong>{' '}
            of {plural(r.count, 'matching action')}
            {r.remaining > 0 && `; ${r.remaining.toLocaleString()} more matched beyond its limit`}.{' '}
            {again && <a href={again}>Preview this filter again</a>}
          </p>
          <table>
            <caption>
              {r.items.length === 0
                ? 'No actions on this page'
                : `Actions ${r.items[0]!.n.toLocaleString()}–${r.items[r.items.length - 1]!.n.toLocaleString()}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Action</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {r.items.map((i) => (
                <tr key={i.n} data-id={i.id}>
                  <td>{i.n.toLocaleString()}</td>
                  <td>
                    <a href={`/ui/actions/${i.id}`}>
                      <code>{i.id}</code>
                    </a>
                  </td>
                  <td>{i.status === 'done' ? did : `skipped: ${i.reason ?? ''}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav aria-label="Pages of actions" class="buttons">
            {after !== undefined && <a href={`/ui/replays/${encodeURIComponent(id)}`}>First page</a>}
            {r.nextItem !== null && (
              <a href={`/ui/replays/${encodeURIComponent(id)}${qs({ after: String(r.nextItem) })}`}>Next {RUN_PAGE}</a>
            )}
          </nav>
        </div>
      )}
    </main>
  );
}
