// The cases list (search by status, escalation, owner, queue, process and text; keyset paging, the filters in
// the URL) and the signed-in user's notifications with mark-read.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Time, Timed, announce, useData } from '../components.tsx';
import { navigate, qs } from '../router.ts';
import { onChangesEvery } from '../live.ts';
import type { CaseView } from './case.tsx';

const SEARCH = ['status', 'escalated', 'owner', 'queue', 'process', 'q'] as const;
const LABELS: Record<(typeof SEARCH)[number], string> = {
  status: 'Status',
  escalated: 'Escalated',
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
};

export function CasesPage({ query }: { query: URLSearchParams }) {
  const f = Object.fromEntries([...SEARCH, 'before'].map((k) => [k, query.get(k) ?? undefined])) as Record<string, string | undefined>;
  const [shown, setShown] = useState(f);
  // What was chosen, kept as it is chosen: a Search clicked before the page drew the last choice
  // (a select changed, then Search at once) searches by it too.
  const chosen = useRef(f);
  const form = shown;
  const setForm = (next: Record<string, string | undefined>): void => {
    chosen.current = next;
    setShown(next);
  };
  useEffect(() => setForm(f), [query.toString()]);
  const list = useData(
    () => api<{ items: Omit<CaseView, 'actions'>[]; next: string | null }>('GET', `/v1/cases${qs(f)}`),
    [query.toString()],
  );
  const submit = (e: Event): void => {
    e.preventDefault();
    navigate(`/ui/cases${qs({ ...chosen.current, before: undefined })}`);
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Cases</h1>
      <form role="search" class="case-search" onSubmit={submit}>
        {SEARCH.map((k) =>
          CHOICES[k] ? (
            <div class="field" key={k}>
              <label for={`case-${k}`}>{LABELS[k]}</label>
              <select
                id={`case-${k}`}
                value={form[k] ?? ''}
                onChange={(e) => setForm({ ...chosen.current, [k]: e.currentTarget.value || undefined })}
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
                onInput={(e) => setForm({ ...chosen.current, [k]: e.currentTarget.value || undefined })}
              />
            </div>
          ),
        )}
        <button type="submit">Search</button>
      </form>
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

export function NotificationsPage() {
  const list = useData(() => api<{ items: Notification[] }>('GET', '/v1/notifications'), []);
  const [error, setError] = useState<unknown>(null);
  // Read again at most every 3 s while the live feed says anything changed (it says so for every
  // action: reading on each message cost a request per message during a bulk launch).
  useEffect(() => onChangesEvery(3000, () => list.reload()), []);
  const unread = (list.data?.items ?? []).filter((n) => !n.readAt);
  const markAllRead = async (): Promise<void> => {
    try {
      // Up to the newest on screen: one that came since stays unread until it is seen.
      const r = await api<{ marked: number }>('POST', '/v1/notifications/read', { upTo: Math.max(...unread.map((n) => n.id)) });
      setError(null);
      announce(`Marked ${r.marked} read`);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  const markRead = async (n: Notification): Promise<void> => {
    try {
      await api('POST', `/v1/notifications/${n.id}/read`);
      setError(null);
      announce('Marked read');
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Notifications</h1>
      <ErrorBox error={list.error ?? error} />
      {unread.length > 1 && (
        <p>
          <button type="button" onClick={() => void markAllRead()}>
            Mark all {unread.length} read
          </button>
        </p>
      )}
      {list.data && list.data.items.length === 0 && <p class="empty">No notifications for you.</p>}
      <ul class="timeline">
        {list.data?.items.map((n) => (
          <li key={n.id} class={`kind-${n.kind}${n.readAt ? ' read' : ''}`} data-id={n.id}>
            <Time iso={n.at} /> <strong>{n.kind.replace(/_/g, ' ')}</strong> <Timed text={n.message} />{' '}
            {n.actionId && <a href={`/ui/actions/${n.actionId}`}>the action</a>}
            {n.caseId && (
              <>
                {' · '}
                <a href={`/ui/cases/${n.caseId}`}>the case</a>
              </>
            )}{' '}
            {n.readAt ? (
              <span class="muted">read</span>
            ) : (
              <button type="button" class="link" onClick={() => void markRead(n)}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}
