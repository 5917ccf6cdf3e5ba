// The cases list (search by status, escalation, a stop at a failed step, owner, queue, process and text; keyset paging, the filters in
// the URL) and the signed-in user's notifications with mark-read.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, can, readProcessNames, type Session } from '../api.ts';
import { ErrorBox, NotSaved, Time, Timed, announce, problemAt, useData, useFormState } from '../components.tsx';
import { navigate, qs } from '../router.ts';
import { onChangesEvery } from '../live.ts';
import { useFormRequest } from '../form-request.ts';
import type { CaseView } from './case.tsx';
import { SavedViews } from './saved-views.tsx';

const SEARCH = ['status', 'escalated', 'stopped', 'owner', 'queue', 'process', 'q'] as const;
const LABELS: Record<(typeof SEARCH)[number], string> = {
  status: 'Status',
  escalated: 'Escalated',
  stopped: 'Stopped',
  owner: 'Owner',
  queue: 'Queue',
  process: 'Process',
  q: 'Text',
};
/** The filters chosen from a list (the API's words as values); the rest are typed. */
const CHOICES: Partial<Record<(typeof SEARCH)[number], Array<[string, string]>>> = {
  status: [
    ['open', 'Open'],
    ['closed', 'Closed'],
  ],
  // A case is escalated while one of its actions is: the ones that need attention now.
  escalated: [
    ['true', 'Escalated'],
    ['false', 'Not escalated'],
  ],
  // Stopped at a failed step: nothing moves the case on until an operator retries or skips it.
  stopped: [
    ['true', 'Stopped at a failed step'],
    ['false', 'Not stopped'],
  ],
};

/** What each kind of notification is called on the page (the API's kinds are codes: action.escalated). */
const NOTICE_KINDS: Record<string, string> = {
  'action.escalated': 'Escalated',
  'case.stopped': 'Case stopped',
  'task.taken': 'Taken',
  'task.assigned': 'Assigned',
  'task.overdue': 'Overdue',
};

/**
 * A new case, of a process or plain: its process, title, owner, queue and data (JSON), each refused
 * field beside it; opened when made. Only the API could start one (a builder saved a process and had
 * no way to run it from here).
 */
function NewCase() {
  // Every page of them, by name: the list pages, and a case may be of any.
  const processes = useData(readProcessNames, []);
  const [f, setF] = useState({ process: '', title: '', owner: '', queue: '', data: '' });
  const { error, busy, run } = useFormRequest();
  const [dataError, setDataError] = useState<string | null>(null);
  const set = (patch: Partial<typeof f>): void => setF({ ...f, ...patch });
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    let data: unknown;
    try {
      data = f.data.trim() === '' ? undefined : JSON.parse(f.data);
    } catch (err) {
      return void setDataError(`Not JSON: ${(err as Error).message}`);
    }
    setDataError(null);
    const body = {
      ...(f.process ? { process: f.process } : {}),
      ...(f.title.trim() ? { title: f.title.trim() } : {}),
      ...(f.owner.trim() ? { owner: f.owner.trim() } : {}),
      ...(f.queue.trim() ? { queue: f.queue.trim() } : {}),
      ...(data !== undefined ? { data } : {}),
    };
    const made = await run(() => api<{ id: string; title: string | null }>('POST', '/v1/cases', body));
    if (!made) return;
    announce(`Case ${made.value.title ?? made.value.id} created`);
    navigate(`/ui/cases/${made.value.id}`);
  };
  const field = (name: 'process' | 'title' | 'owner' | 'queue' | 'data') =>
    problemAt(error, `new-case-${name}`, { about: (x) => x === name || x.startsWith(`${name}.`) });
  const said = { process: field('process'), title: field('title'), owner: field('owner'), queue: field('queue'), data: field('data') };
  // Its fields are drawn only while it is open: the search's Process, Owner and Queue stay the page's only ones.
  const [open, setOpen] = useState(false);
  return (
    <details class="new-case" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>New case</summary>
      {open && (
        <form class="form" onSubmit={(e) => void create(e)} aria-label="New case">
          <fieldset class="form-fields" disabled={busy}>
            <div class="field">
              <label for="new-case-process">Process</label>
              <select {...said.process.attrs} value={f.process} onChange={(e) => set({ process: e.currentTarget.value })}>
                <option value="">None: a plain case</option>
                {processes.data?.map((p) => (
                  <option key={p.id} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
              {said.process.message}
            </div>
            {(['title', 'owner', 'queue'] as const).map((k) => (
              <div class="field" key={k}>
                <label for={`new-case-${k}`}>{k === 'title' ? 'Title' : k === 'owner' ? 'Owner (a user name)' : 'Queue'}</label>
                <input {...said[k].attrs} value={f[k]} onInput={(e) => set({ [k]: e.currentTarget.value })} />
                {said[k].message}
              </div>
            ))}
            <div class="field">
              <label for="new-case-data">Data (a JSON object, optional)</label>
              <textarea
                {...said.data.attrs}
                aria-invalid={dataError || said.data.attrs['aria-invalid'] ? 'true' : undefined}
                aria-describedby={dataError ? 'new-case-data-json' : said.data.attrs['aria-describedby']}
                class="code"
                rows={4}
                spellcheck={false}
                placeholder='{ "employee": "Jane Doe" }'
                value={f.data}
                onInput={(e) => set({ data: e.currentTarget.value })}
              />
              {dataError && (
                <small id="new-case-data-json" class="field-error" role="alert">
                  {dataError}
                </small>
              )}
              {said.data.message}
            </div>
            <button type="submit">Create case</button>
          </fieldset>
          <NotSaved
            error={error}
            beside={(x) => ['process', 'title', 'owner', 'queue', 'data'].some((k) => x === k || x.startsWith(`${k}.`))}
          />
        </form>
      )}
    </details>
  );
}

export function CasesPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const f = Object.fromEntries([...SEARCH, 'before'].map((k) => [k, query.get(k) ?? undefined])) as Record<string, string | undefined>;
  // Another search in the address (a saved view opened, Back): the fields show it in that same render.
  const key = query.toString();
  const [form, setShown] = useFormState(key, () => f);
  // What was chosen, kept as it is chosen: a Search clicked before the page drew the last choice
  // (a select changed, then Search at once) searches by it too.
  const chosen = useRef({ key, value: f });
  if (chosen.current.key !== key) chosen.current = { key, value: f };
  const setForm = (next: Record<string, string | undefined>): void => {
    chosen.current = { key, value: next };
    setShown(next);
  };
  const list = useData(
    () => api<{ items: Omit<CaseView, 'actions'>[]; next: string | null }>('GET', `/v1/cases${qs(f)}`),
    [query.toString()],
  );
  const submit = (e: Event): void => {
    e.preventDefault();
    navigate(`/ui/cases${qs({ ...chosen.current.value, before: undefined })}`);
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Cases</h1>
      {(can(session, 'operator') || session.roles.includes('integration')) && <NewCase />}
      <form role="search" class="case-search" onSubmit={submit}>
        {SEARCH.map((k) =>
          CHOICES[k] ? (
            <div class="field" key={k}>
              <label for={`case-${k}`}>{LABELS[k]}</label>
              <select
                id={`case-${k}`}
                value={form[k] ?? ''}
                onChange={(e) => setForm({ ...chosen.current.value, [k]: e.currentTarget.value || undefined })}
              >
                <option value="">Any</option>
                {CHOICES[k].map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <div class="field" key={k}>
              <label for={`case-${k}`}>{LABELS[k]}</label>
              <input
                id={`case-${k}`}
                value={form[k] ?? ''}
                onInput={(e) => setForm({ ...chosen.current.value, [k]: e.currentTarget.value || undefined })}
              />
            </div>
          ),
        )}
        <button type="submit">Search</button>
      </form>
      <SavedViews screen="cases" query={query} session={session} />
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No cases match.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class="cases">
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Process</th>
              <th scope="col">Status</th>
              <th scope="col">Owner</th>
              <th scope="col">Queue</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((k) => (
              <tr key={k.id} data-id={k.id} class={k.escalated ? 'escalated' : undefined}>
                <td>
                  <a href={`/ui/cases/${k.id}`}>{k.title ?? k.id.slice(-8)}</a>
                  {k.escalated && <span class="badge bad">Escalated</span>}
                  {k.stoppedAt && (
                    <span class="badge bad" title={`Stopped at step ${k.stoppedAt.step}`}>
                      Stopped
                    </span>
                  )}
                </td>
                <td>{k.process ?? '—'}</td>
                <td>{k.status === 'open' ? 'Open' : 'Closed'}</td>
                <td>{k.owner ?? '—'}</td>
                <td>{k.queue ?? '—'}</td>
                <td>
                  <Time iso={k.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav aria-label="Pages" class="paging">
        {f.before && <a href={`/ui/cases${qs({ ...f, before: undefined })}`}>Newest</a>}
        {list.data?.next && <a href={`/ui/cases${qs({ ...f, before: list.data.next })}`}>Older</a>}
      </nav>
    </main>
  );
}

interface Notification {
  id: number;
  kind: string;
  message: string;
  actionId: string | null;
  caseId: string | null;
  at: string;
  readAt?: string | null;
}

/** Notifications a page: the API's keyset `next` pages older ones. */
const NOTIFICATIONS_PAGE = 50;
/** The unread ones counted for "Mark all read": the API's largest page; more than that is said as "or more". */
const UNREAD_COUNTED = 200;

export function NotificationsPage({ query }: { query: URLSearchParams }) {
  const before = query.get('before') ?? undefined;
  const list = useData(
    () =>
      api<{ items: Notification[]; next: string | null }>('GET', `/v1/notifications${qs({ before, limit: String(NOTIFICATIONS_PAGE) })}`),
    [before],
  );
  // The unread ones on every page, not only this one: what "Mark all read" counts and marks.
  const unreadList = useData(
    () =>
      api<{ items: Notification[]; next: string | null }>(
        'GET',
        `/v1/notifications${qs({ unread: 'true', limit: String(UNREAD_COUNTED) })}`,
      ),
    [],
  );
  // Read again at most every 3 s while the live feed says anything changed (it says so for every
  // action: reading on each message cost a request per message during a bulk launch).
  const reload = (): void => {
    list.reload();
    unreadList.reload();
  };
  useEffect(() => onChangesEvery(3000, reload), []);
  const items = list.data?.items ?? [];
  const unread = unreadList.data?.items ?? [];
  const unreadText = unreadList.data?.next ? `${UNREAD_COUNTED} or more` : String(unread.length);
  // A single unread one is marked on its row, when it is on this page.
  const showMarkAll = unread.length > 1 || (unread.length === 1 && !items.some((n) => n.id === unread[0]!.id));
  // One mark at a time: a double click (or a slow answer) sent it twice, and the second's "Marked 0 read" was said over the first's.
  // The pressed Mark read goes with its notice: the focus goes to the next one's, else the page's heading.
  const next = useRef<number | null>(null);
  const mark = useFormRequest(() =>
    next.current === null ? null : document.querySelector<HTMLElement>(`li[data-id="${next.current}"] button`),
  );
  const markAllRead = async (): Promise<void> => {
    // Up to the newest unread one counted: one that came since stays unread until it is seen.
    const r = await mark.run(() => api<{ marked: number }>('POST', '/v1/notifications/read', { upTo: unread[0]!.id }));
    if (!r) return;
    announce(`Marked ${r.value.marked} read`);
    reload();
  };
  const markRead = async (n: Notification): Promise<void> => {
    const unreadHere = items.filter((x) => !x.readAt);
    next.current = unreadHere[unreadHere.indexOf(n) + 1]?.id ?? null;
    // A newer notice about the same task replaces an unread one (its id goes): read the list again.
    const r = await mark.run(() =>
      api<Notification>('POST', `/v1/notifications/${n.id}/read`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    );
    if (!r) return;
    const marked = r.value;
    if (marked === null) {
      announce('A newer notice about it took its place');
      reload();
      return;
    }
    announce('Marked read');
    // Read at once (its button gone, the focus moved on), before the list is read again.
    const cur = list.data;
    if (cur)
      list.setData({
        ...cur,
        items: cur.items.map((x) => (x.id === n.id ? { ...x, readAt: marked.readAt ?? new Date().toISOString() } : x)),
      });
    reload();
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Notifications</h1>
      <ErrorBox error={list.error ?? unreadList.error ?? mark.error} />
      {showMarkAll && (
        <p>
          <button type="button" disabled={mark.busy} onClick={() => void markAllRead()}>
            Mark all {unreadText} read
          </button>
        </p>
      )}
      {list.data && items.length === 0 && <p class="empty">{before ? 'No older notifications.' : 'No notifications for you.'}</p>}
      {/* Never a page that looks like all of them when it is not. */}
      {list.data && items.length > 0 && (list.data.next || before) && (
        <p class="muted" data-testid="notifications-shown">
          {before ? `${items.length} older ones shown` : `The newest ${items.length} shown`}
          {list.data.next ? '; there are older ones (Older, below).' : ', down to the first.'}
        </p>
      )}
      <ul class="timeline">
        {items.map((n) => (
          <li key={n.id} class={`kind-${n.kind}${n.readAt ? ' read' : ''}`} data-id={n.id}>
            <Time iso={n.at} /> <strong>{NOTICE_KINDS[n.kind] ?? n.kind.replace(/_/g, ' ')}</strong> <Timed text={n.message} />{' '}
            {n.actionId && <a href={`/ui/actions/${n.actionId}`}>the action</a>}
            {n.caseId && (
              <>
                {n.actionId && ' · '}
                <a href={`/ui/cases/${n.caseId}`}>the case</a>
              </>
            )}{' '}
            {n.readAt ? (
              <span class="muted">read</span>
            ) : (
              <button type="button" class="link" disabled={mark.busy} onClick={() => void markRead(n)}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      <nav aria-label="Pages" class="paging">
        {before && <a href="/ui/notifications">Newest</a>}
        {list.data?.next && <a href={`/ui/notifications${qs({ before: list.data.next })}`}>Older</a>}
      </nav>
    </main>
  );
}
