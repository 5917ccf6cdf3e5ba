// Builder: webhook subscriptions. List, create (the signing secret is shown once, with a copy
// button: the API never returns it again), rotate the secret, enable/disable, change the retry policy
// of one (or take it back to Standard Webhooks' schedule), and each subscription's deliveries with every attempt.

import { useState } from 'preact/hooks';
import { ApiError, api, patchIf } from '../api.ts';
import { ErrorBox, Field, RetryFields, Time, Timed, announce, useData } from '../components.tsx';
import { useFormRequest, useOneAtATime } from '../form-request.ts';
import { durationText } from '../duration.ts';
import { maxIntervalText } from '../retry.ts';
import { qs } from '../router.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
  /** The tag of its settings as listed: a toggle is made only if nobody changed them since. */
  etag: string;
  /** Its own retry policy (an action type's, durations in ms); none: Standard Webhooks' schedule. */
  retry?: ({ maxRetries: number; interval: number; backoff: string } & Record<string, unknown>) | null;
}

/** A retry policy as the forms hold it: whether the subscription has its own, and its fields as typed. */
interface RetryForm {
  own: boolean;
  maxRetries: string;
  interval: string;
  backoff: string;
  /** Empty: none chosen, left out of the policy sent, so the API derives it from the interval. */
  maxInterval: string;
}

/**
 * The policy a form sends (the whole policy: a PATCH replaces it): null for the schedule; a count that is
 * not a number goes as such, for the API to name the field; no maxInterval when its box is empty.
 */
function retryBody(f: RetryForm, base: Record<string, unknown> = {}): Record<string, unknown> | null {
  if (!f.own) return null;
  const maxRetries = /^\d+$/.test(f.maxRetries.trim()) ? Number(f.maxRetries) : f.maxRetries;
  const maxInterval = f.maxInterval.trim();
  return { ...base, maxRetries, interval: f.interval.trim(), backoff: f.backoff, ...(maxInterval ? { maxInterval } : {}) };
}

/** How a subscription's failed deliveries are tried again, in words. */
function retriesText(w: Webhook): string {
  const r = w.retry;
  if (!r) return 'retried on the Standard Webhooks schedule (about 3 days)';
  return `at most ${r.maxRetries} ${r.maxRetries === 1 ? 'retry' : 'retries'}, ${durationText(r.interval)} apart (${r.backoff})`;
}
interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: Array<{ at: string; status: number | null; durationMs: number; outcome: string; response: string | null }>;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
}

/** The secret once: copied to the clipboard on request, never stored by the page. */
function SecretOnce({ label, secret }: { label: string; secret: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    await navigator.clipboard.writeText(secret);
    setCopied(true);
    announce('Secret copied');
  };
  return (
    <div class="notice" role="status">
      {label}, shown this once: <code data-testid="webhook-secret">{secret}</code>{' '}
      <button type="button" onClick={() => void copy().catch(() => setCopied(false))}>
        {copied ? 'Copied' : 'Copy secret'}
      </button>
    </div>
  );
}

/** Deliveries a page, newest first; the API's `next` (a delivery id) pages older ones. */
const DELIVERIES_PAGE = 50;

/** The address of a subscription's deliveries, at the page older than `before` when given. */
const deliveriesHref = (id: string, before?: string): string => `/ui/webhooks${qs({ deliveries: id, before })}`;

function Deliveries({ webhook, before }: { webhook: Webhook; before: string | undefined }) {
  const list = useData(
    () =>
      api<{ items: Delivery[]; next: string | null }>(
        'GET',
        `/v1/webhooks/${encodeURIComponent(webhook.id)}/deliveries${qs({ limit: String(DELIVERIES_PAGE), before })}`,
      ),
    [webhook.id, before],
  );
  return (
    <section aria-labelledby="deliveries-h">
      <h2 id="deliveries-h" tabIndex={-1}>
        Deliveries to {webhook.url}
      </h2>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">{before ? 'No older deliveries.' : 'Nothing delivered yet.'}</p>}
      {list.data && list.data.items.length > 0 && (
        <table data-testid="deliveries">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next attempt</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((d) => (
              <tr key={d.id} data-id={d.id}>
                <td>{d.eventType}</td>
                <td>
                  {d.status}
                  {d.lastError && <div class="hint">{d.lastError}</div>}
                </td>
                <td>
                  <ol class="attempts">
                    {d.attempts.map((a, i) => (
                      <li key={i}>
                        <Time iso={a.at} />: {a.outcome} ({a.durationMs} ms)
                      </li>
                    ))}
                  </ol>
                </td>
                <td>{d.nextAttemptAt ? <Time iso={d.nextAttemptAt} /> : '—'}</td>
                <td>
                  <Time iso={d.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages of deliveries" class="paging">
        {before && (
          <a href={deliveriesHref(webhook.id)} data-focus="deliveries-h">
            Newest
          </a>
        )}
        {list.data?.next && (
          <a href={deliveriesHref(webhook.id, list.data.next)} data-focus="deliveries-h">
            Older
          </a>
        )}
      </nav>
    </section>
  );
}

/**
 * The settings of a listed policy the form does not show, to send back unchanged. Not its maxInterval:
 * the form shows it (empty when the API derived it, so a longer interval typed here takes the limit along).
 */
function keptSettings(r: Webhook['retry']): Record<string, unknown> {
  if (!r) return {};
  const rest: Record<string, unknown> = { ...r };
  delete rest.maxInterval;
  return rest;
}

/**
 * The retry policy of a listed subscription, changed in place: saved with the tag of the settings the
 * list gave (If-Match), so a change someone else made since is not overwritten (the page says so). The
 * policy's other settings (backoff coefficient, jitter, window, retryOn) are kept as they were. One save at a time:
 * Save is disabled while one is on its way.
 */
function RetriesEditor({ webhook, onSaved, onCancel }: { webhook: Webhook; onSaved: (w: Webhook) => void; onCancel: () => void }) {
  const r = webhook.retry;
  const [form, setForm] = useState<RetryForm>({
    own: !!r,
    maxRetries: String(r?.maxRetries ?? 5),
    interval: r ? durationText(r.interval) : '30s',
    backoff: r?.backoff ?? 'exponential',
    maxInterval: maxIntervalText(r),
  });
  // A second submit in the same tick, before the disabled button is painted, is not sent.
  const { error, busy: saving, run } = useFormRequest();
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    const saved = await run(() =>
      patchIf<Webhook>(`/v1/webhooks/${webhook.id}`, { retry: retryBody(form, keptSettings(r)) }, webhook.etag),
    );
    if (saved) onSaved(saved.value);
  };
  return (
    <section aria-labelledby="retries-h">
      <h2 id="retries-h">Retries of {webhook.url}</h2>
      <form onSubmit={(e) => void save(e)} class="form" aria-labelledby="retries-h" data-testid="webhook-retry-editor">
        <RetryChoice id="we-retries" own={form.own} onChange={(own) => setForm({ ...form, own })} />
        {form.own && <RetryFields prefix="we-policy" value={form} onChange={(change) => setForm({ ...form, ...change })} error={error} />}
        <ErrorBox error={error} />
        <button type="submit" disabled={saving}>
          Save retries
        </button>{' '}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </section>
  );
}

/**
 * Where a listed subscription sends and what: its URL, events and description, changed in place with
 * the tag the list gave (If-Match), as its retries are. A wrong URL or event list could only be fixed
 * through the API before.
 */
function SettingsEditor({ webhook, onSaved, onCancel }: { webhook: Webhook; onSaved: (w: Webhook) => void; onCancel: () => void }) {
  const [form, setForm] = useState({ url: webhook.url, events: webhook.events.join(', '), description: webhook.description ?? '' });
  const { error, busy: saving, run } = useFormRequest();
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    const body = {
      url: form.url.trim(),
      events: splitEvents(form.events),
      // An emptied box clears it (a PATCH keeps what it leaves out).
      description: form.description.trim() || null,
    };
    const saved = await run(() => patchIf<Webhook>(`/v1/webhooks/${webhook.id}`, body, webhook.etag));
    if (saved) onSaved(saved.value);
  };
  return (
    <section aria-labelledby="settings-h">
      <h2 id="settings-h">Change {webhook.url}</h2>
      <form onSubmit={(e) => void save(e)} class="form" aria-labelledby="settings-h" data-testid="webhook-settings-editor">
        <Field label="Endpoint URL" id="we-url">
          <input id="we-url" type="url" required value={form.url} onInput={(e) => setForm({ ...form, url: e.currentTarget.value })} />
        </Field>
        <Field label="Events" id="we-events" hint={EVENTS_HINT}>
          <input
            id="we-events"
            required
            aria-describedby="we-events-hint"
            value={form.events}
            onInput={(e) => setForm({ ...form, events: e.currentTarget.value })}
          />
        </Field>
        <Field label="Description" id="we-description">
          <input id="we-description" value={form.description} onInput={(e) => setForm({ ...form, description: e.currentTarget.value })} />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" disabled={saving}>
          Save
        </button>{' '}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </form>
    </section>
  );
}

const EVENTS_HINT = 'Comma-separated: * for all, a group such as action.* or case.*, or a type such as action.escalated.';
const splitEvents = (text: string): string[] =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function WebhooksPage({ query }: { query: URLSearchParams }) {
  const list = usePagedList<Webhook>('/v1/webhooks', (w) => w.id);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [description, setDescription] = useState('');
  // Standard Webhooks' schedule unless the builder asks for a retry policy, as action types have.
  const [retry, setRetry] = useState<RetryForm>({
    own: false,
    maxRetries: '5',
    interval: '30s',
    backoff: 'exponential',
    maxInterval: '',
  });
  const [secret, setSecret] = useState<{ label: string; secret: string } | null>(null);
  // The open deliveries view is in the address (?deliveries=<id>&before=<cursor>): a reload or a shared link keeps it.
  const shownId = query.get('deliveries') ?? undefined;
  const shownBefore = query.get('before') ?? undefined;
  const listed = shownId === undefined ? undefined : list.data?.items.find((w) => w.id === shownId);
  // A link may name a subscription past the pages shown: it is read on its own.
  const alone = useData(
    () =>
      shownId === undefined || listed || !list.data
        ? Promise.resolve(undefined)
        : api<Webhook>('GET', `/v1/webhooks/${encodeURIComponent(shownId)}`),
    [shownId, listed !== undefined, list.data !== undefined],
  );
  const shown = listed ?? (alone.data?.id === shownId ? alone.data : undefined);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [changing, setChanging] = useState<Webhook | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const act = async (f: () => Promise<void>): Promise<void> => {
    try {
      await f();
      setError(null);
      list.reload();
    } catch (err) {
      setError(err);
      // Changed by someone else since listed: read again, so the next press is made on what they saved.
      if (err instanceof ApiError && err.status === 412) list.reload();
    }
  };
  const [creating, once] = useOneAtATime();
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    await once(() =>
      act(async () => {
        const r = await api<Webhook & { secret: string }>('POST', '/v1/webhooks', {
          url: url.trim(),
          events: splitEvents(events),
          ...(description.trim() ? { description: description.trim() } : {}),
          ...(retry.own ? { retry: retryBody(retry) } : {}),
        });
        setSecret({ label: `Signing secret for ${r.url}`, secret: r.secret });
        setUrl('');
        setDescription('');
      }),
    );
  };
  // A row's toggle or rotation one at a time, its buttons disabled meanwhile: a double click on Disable
  // sent the tag just replaced (refused as someone else's change), and on Rotate made two secrets, the
  // page showing whichever answer came last (perhaps the one that stops signing in 24 hours).
  const [rowBusy, rowOnce] = useOneAtATime();
  const rotate = (w: Webhook): Promise<unknown> =>
    rowOnce(() =>
      act(async () => {
        if (!window.confirm(`Rotate the secret of ${w.url}? The old one keeps signing for 24 hours.`)) return;
        const r = await api<{ secret: string }>('POST', `/v1/webhooks/${w.id}/rotate-secret`, {});
        setSecret({ label: `New signing secret for ${w.url}`, secret: r.secret });
      }),
    );
  // With the tag the list gave: a subscription someone changed since is not deleted over their change (412).
  const remove = (w: Webhook): Promise<unknown> =>
    rowOnce(() =>
      act(async () => {
        if (!window.confirm(`Delete the subscription of ${w.url}? It is sent no more events, and its deliveries not yet made are dropped.`))
          return;
        await api('DELETE', `/v1/webhooks/${w.id}`, undefined, undefined, { 'if-match': w.etag });
        setEditing((e) => (e && e.id === w.id ? null : e));
        setChanging((e) => (e && e.id === w.id ? null : e));
        setSaved(`Deleted the subscription of ${w.url}.`);
        announce(`Deleted the subscription of ${w.url}`);
      }),
    );
  const toggle = (w: Webhook): Promise<unknown> =>
    rowOnce(() =>
      act(async () => {
        const done = await patchIf<Webhook>(`/v1/webhooks/${w.id}`, { enabled: !w.enabled }, w.etag);
        // The row as the toggle left it (its state and tag) until the list is read again: a press before
        // then sends its new tag. Nor is it someone else's change for a retry editor open on it.
        const cur = list.data;
        if (cur) list.setData({ ...cur, items: cur.items.map((x) => (x.id === done.id ? done : x)) });
        setEditing((e) => (e && e.id === done.id ? { ...e, etag: done.etag } : e));
        setChanging((e) => (e && e.id === done.id ? { ...e, etag: done.etag } : e));
      }),
    );
  return (
    <main id="main">
      <h1 tabIndex={-1}>Webhooks</h1>
      <form onSubmit={(e) => void create(e)} class="form">
        <fieldset class="form-fields" disabled={creating}>
          <Field label="Endpoint URL" id="w-url">
            <input id="w-url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          </Field>
          <Field label="Events" id="w-events" hint={EVENTS_HINT}>
            <input
              id="w-events"
              required
              value={events}
              aria-describedby="w-events-hint"
              onInput={(e) => setEvents(e.currentTarget.value)}
            />
          </Field>
          <Field label="Description" id="w-description">
            <input id="w-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </Field>
          <RetryChoice id="w-retries" own={retry.own} onChange={(own) => setRetry({ ...retry, own })} />
          {retry.own && (
            <RetryFields prefix="w-policy" value={retry} onChange={(change) => setRetry({ ...retry, ...change })} error={error} />
          )}
          <button type="submit">Create webhook</button>
        </fieldset>
      </form>
      <ErrorBox error={error} />
      {/* Keyed by the secret: "Copied" was left on the button of a new secret, the clipboard holding the old one. */}
      {secret && <SecretOnce key={secret.secret} label={secret.label} secret={secret.secret} />}
      <h2>Subscriptions</h2>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No webhooks yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table data-testid="webhooks">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((w) => (
              <tr key={w.id} data-id={w.id}>
                <td>
                  {w.url}
                  {w.description && <div class="hint">{w.description}</div>}
                  <div class="hint" data-testid="webhook-retries">
                    Failed deliveries: {retriesText(w)}
                  </div>
                </td>
                <td>{w.events.join(', ')}</td>
                <td data-testid="webhook-status">
                  {w.enabled ? 'Enabled' : 'Disabled'}
                  {w.disabledReason && (
                    <div class="hint">
                      <Timed text={w.disabledReason} />
                    </div>
                  )}
                  {w.failingSince && (
                    <div class="hint">
                      failing since <Time iso={w.failingSince} />
                    </div>
                  )}
                </td>
                <td>
                  <Time iso={w.createdAt} />
                </td>
                <td>
                  <button
                    type="button"
                    disabled={rowBusy}
                    onClick={() => void toggle(w)}
                    aria-label={`${w.enabled ? 'Disable' : 'Enable'} ${w.url}`}
                  >
                    {w.enabled ? 'Disable' : 'Enable'}
                  </button>{' '}
                  <button type="button" disabled={rowBusy} onClick={() => void rotate(w)} aria-label={`Rotate the secret of ${w.url}`}>
                    Rotate secret
                  </button>{' '}
                  <a
                    href={deliveriesHref(w.id)}
                    data-focus="deliveries-h"
                    aria-label={`Deliveries to ${w.url}`}
                    aria-current={w.id === shownId ? 'true' : undefined}
                  >
                    Deliveries
                  </a>{' '}
                  <button
                    type="button"
                    onClick={() => {
                      setSaved(null);
                      setEditing(w);
                    }}
                    aria-label={`Change the retry policy of ${w.url}`}
                  >
                    Retry policy
                  </button>{' '}
                  <button
                    type="button"
                    onClick={() => {
                      setSaved(null);
                      setChanging(w);
                    }}
                    aria-label={`Change ${w.url}`}
                  >
                    Change
                  </button>{' '}
                  <button type="button" disabled={rowBusy} onClick={() => void remove(w)} aria-label={`Delete ${w.url}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More webhooks" />
      {saved && (
        <p class="notice" role="status">
          {saved}
        </p>
      )}
      {editing && (
        <RetriesEditor
          key={editing.id}
          webhook={editing}
          onCancel={() => setEditing(null)}
          onSaved={(w) => {
            setEditing(null);
            setSaved(`Saved the retries of ${w.url}: ${retriesText(w)}.`);
            list.reload();
          }}
        />
      )}
      {changing && (
        <SettingsEditor
          key={changing.id}
          webhook={changing}
          onCancel={() => setChanging(null)}
          onSaved={(w) => {
            setChanging(null);
            setSaved(`Saved ${w.url}.`);
            list.reload();
          }}
        />
      )}
      {shown && <Deliveries key={shown.id} webhook={shown} before={shownBefore} />}
      {!(alone.error instanceof ApiError && alone.error.status === 404) && <ErrorBox error={alone.error} />}
      {shownId !== undefined && !shown && alone.error instanceof ApiError && alone.error.status === 404 && (
        <p class="error" role="alert">
          There is no webhook subscription <code>{shownId}</code>: it may have been deleted.
        </p>
      )}
    </main>
  );
}

/** Whether a subscription is retried on Standard Webhooks' schedule or on a retry policy of its own. */
function RetryChoice({ id, own, onChange }: { id: string; own: boolean; onChange: (own: boolean) => void }) {
  return (
    <Field label="Retries" id={id}>
      <select id={id} value={own ? 'policy' : ''} onChange={(e) => onChange(e.currentTarget.value === 'policy')}>
        <option value="">Standard Webhooks schedule (about 3 days)</option>
        <option value="policy">A retry policy, as action types have</option>
      </select>
    </Field>
  );
}
