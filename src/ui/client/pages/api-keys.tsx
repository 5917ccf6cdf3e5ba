// API keys (admins): create (the key is shown once), list and revoke.

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { ErrorBox, Field, Time } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';

interface ApiKey {
  id: string;
  name: string;
  roles: string[];
  user?: string | null;
  createdAt: string;
  revokedAt: string | null;
}
const ROLES = ['operator', 'builder', 'integration', 'metrics', 'admin'];

export function ApiKeysPage() {
  const list = usePagedList<ApiKey>('/v1/api-keys', (k) => k.id);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>(['operator']);
  const [user, setUser] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, once] = useOneAtATime();
  const create = (e: Event): Promise<void> => {
    e.preventDefault();
    return once(async () => {
      try {
        const r = await api<{ name: string; key: string }>('POST', '/v1/api-keys', {
          name,
          roles,
          ...(user.trim() ? { user: user.trim() } : {}),
        });
        setCreated(r);
        setError(null);
        setName('');
        list.reload();
      } catch (err) {
        setError(err);
      }
    });
  };
  // One revocation at a time: a double click asked twice and sent two deletes. The button goes with
  // the key's revocation: the focus then goes to the page's heading.
  const [revoking, revokeOnce] = useOneAtATime(() => document.querySelector<HTMLElement>('#main h1'));
  const revoke = (k: ApiKey): Promise<unknown> =>
    revokeOnce(async () => {
      if (!window.confirm(`Revoke the key ${k.name}? Programs and sessions using it stop at once.`)) return;
      try {
        const done = await api<ApiKey>('DELETE', `/v1/api-keys/${k.id}`);
        // The row as revoked at once (the focus goes on from it), until the list is read again.
        const cur = list.data;
        if (cur) list.setData({ ...cur, items: cur.items.map((x) => (x.id === done.id ? done : x)) });
        list.reload();
      } catch (err) {
        setError(err);
      }
    });
  const noList = list.error instanceof ApiError && list.error.status === 404;
  return (
    <main id="main">
      <h1 tabIndex={-1}>API keys</h1>
      <form onSubmit={create} class="form">
        <fieldset class="form-fields" disabled={busy}>
          <Field label="Name" id="k-name">
            <input id="k-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field
            label="Acts as user"
            id="k-user"
            hint="Optional: the user whose name the key's work is done in (tasks, notes, notifications)."
          >
            <input id="k-user" value={user} aria-describedby="k-user-hint" onInput={(e) => setUser(e.currentTarget.value)} />
          </Field>
          <fieldset>
            <legend>Roles</legend>
            {ROLES.map((r) => (
              <label key={r} class="inline">
                <input
                  type="checkbox"
                  checked={roles.includes(r)}
                  onChange={(e) => setRoles(e.currentTarget.checked ? [...roles, r] : roles.filter((x) => x !== r))}
                />{' '}
                {r}
              </label>
            ))}
          </fieldset>
          <button type="submit">Create key</button>
        </fieldset>
      </form>
      <ErrorBox error={error} />
      {created && (
        <div class="notice" role="status">
          Key for <strong>{created.name}</strong>, shown this once: <code data-testid="new-key">{created.key}</code>
        </div>
      )}
      <h2>Keys</h2>
      {noList ? <p>This Callout cannot list keys yet.</p> : <ErrorBox error={list.error} />}
      {list.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">User</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{k.roles.join(', ')}</td>
                <td>{k.user ?? '—'}</td>
                <td>
                  <Time iso={k.createdAt} />
                </td>
                <td>
                  {k.revokedAt ? (
                    <>
                      revoked <Time iso={k.revokedAt} />
                    </>
                  ) : (
                    <button type="button" disabled={revoking} onClick={() => void revoke(k)}>
                      Revoke {k.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More keys" />
    </main>
  );
}
