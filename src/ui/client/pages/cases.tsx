// The case page (data, owner, its actions with escalations highlighted) and the signed-in user's
// notifications. Processes, steps, notes and tasks join the case page when cases grow.

import { useEffect } from 'preact/hooks';
import { api, titleOf, type ActionView } from '../api.ts';
import { ErrorBox, StateBadge, Time, useData, whyLine } from '../components.tsx';
import { subscribe } from '../live.ts';

interface Case {
  id: string;
  data: Record<string, unknown>;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
  actions: ActionView[];
}

export function CasePage({ id }: { id: string }) {
  const c = useData(() => api<Case>('GET', `/v1/cases/${encodeURIComponent(id)}`), [id]);
  useEffect(
    () =>
      subscribe((m) => {
        const shown = new Set(c.data?.actions.map((a) => a.id) ?? []);
        if (m.overflow || m.changes.some((x) => shown.has(x.id))) c.reload();
      }),
    [id, c.data],
  );
  if (c.error)
    return (
      <main id="main">
        <h1 tabIndex={-1}>Case</h1>
        <ErrorBox error={c.error} />
      </main>
    );
  const k = c.data;
  if (!k)
    return (
      <main id="main">
        <h1 tabIndex={-1}>Case</h1>
        <p class="loading">Loading…</p>
      </main>
    );
  const escalated = k.actions.filter((a) => a.escalated);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Case {k.id.slice(-8)}</h1>
      <dl class="facts">
        <dt>Case id</dt>
        <dd>
          <code>{k.id}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{k.owner ?? '—'}</dd>
        <dt>Updated</dt>
        <dd>
          <Time iso={k.updatedAt} />
        </dd>
      </dl>
      {escalated.length > 0 && (
        <p class="error" role="status">
          Escalated: {escalated.map(titleOf).join(', ')} — Closed, Not Done Successfully.
        </p>
      )}
      <h2>Data</h2>
      <pre>{JSON.stringify(k.data, null, 2)}</pre>
      <h2>Actions</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">State</th>
            <th scope="col">Why and when it moves</th>
          </tr>
        </thead>
        <tbody>
          {k.actions.map((a) => (
            <tr key={a.id} class={a.escalated ? 'escalated' : undefined}>
              <td>
                <a href={`/ui/actions/${a.id}`}>{titleOf(a)}</a>
                {a.escalated && <span class="badge bad">Escalated</span>}
              </td>
              <td>
                <StateBadge a={a} />
              </td>
              <td class="why">{whyLine(a)}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
}

export function NotificationsPage() {
  const list = useData(() => api<{ items: Notification[] }>('GET', '/v1/notifications'), []);
  useEffect(() => subscribe(() => list.reload()), []);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Notifications</h1>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No notifications for you.</p>}
      <ul class="timeline">
        {list.data?.items.map((n) => (
          <li key={n.id} class={`kind-${n.kind}`}>
            <Time iso={n.at} /> <strong>{n.kind.replace(/_/g, ' ')}</strong> {n.message}{' '}
            {n.actionId && <a href={`/ui/actions/${n.actionId}`}>the action</a>}
            {n.caseId && (
              <>
                {' · '}
                <a href={`/ui/cases/${n.caseId}`}>the case</a>
              </>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}
