// Admin: users (create, disable and enable). Users have no passwords: people sign in with an API
// key that acts as their user (created on the API keys screen with "Acts as user").

import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Field, announce } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';

interface User {
  name: string;
  displayName: string;
  email: string | null;
  disabled: boolean;
}

export function UsersPage() {
  const list = usePagedList<User>('/v1/users', (u) => u.name);
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, once] = useOneAtATime();
  const create = (e: Event): Promise<void> => {
    e.preventDefault();
    return once(async () => {
      try {
        await api('POST', '/v1/users', { name, ...(displayName ? { displayName } : {}), ...(email ? { email } : {}) });
        setError(null);
        announce(`User ${name} created`);
        setName('');
        setDisplayName('');
        setEmail('');
        list.reload();
      } catch (err) {
        setError(err);
      }
    });
  };
  // One Disable/Enable at a time, its buttons disabled meanwhile: a double click sent two (a slow one
  // disabled the user and enabled them again). The row shows the answer at once, its failure beside it.
  const [toggling, toggleOnce] = useOneAtATime();
  const [rowError, setRowError] = useState<{ name: string; error: unknown } | null>(null);
  const toggle = (u: User): Promise<unknown> =>
    toggleOnce(async () => {
      try {
        const done = await api<User>('PATCH', `/v1/users/${encodeURIComponent(u.name)}`, { disabled: !u.disabled });
        setRowError(null);
        const cur = list.data;
        if (cur) list.setData({ ...cur, items: cur.items.map((x) => (x.name === done.name ? done : x)) });
        announce(`${done.name} ${done.disabled ? 'disabled' : 'enabled'}`);
        list.reload();
      } catch (err) {
        setRowError({ name: u.name, error: err });
      }
    });
  return (
    <main id="main">
      <h1 tabIndex={-1}>Users</h1>
      <form class="form" onSubmit={create}>
        <fieldset class="form-fields" disabled={busy}>
          <Field label="Name" id="u-name" hint="Lower-case login name, e.g. olga.">
            <input id="u-name" required value={name} aria-describedby="u-name-hint" onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field label="Display name" id="u-display">
            <input id="u-display" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
          </Field>
          <Field label="Email" id="u-email">
            <input id="u-email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </Field>
          <button type="submit">Create user</button>
        </fieldset>
      </form>
      <ErrorBox error={error} />
      <p class="hint">
        Users sign in with an API key that acts as them: create one on the <a href="/ui/api-keys">API keys</a> screen.
      </p>
      <h2>Users</h2>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Display name</th>
              <th scope="col">Email</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((u) => (
              <tr key={u.name} data-user={u.name}>
                <td>{u.name}</td>
                <td>{u.displayName}</td>
                <td>{u.email ?? '—'}</td>
                <td>
                  {u.disabled ? 'disabled ' : 'enabled '}
                  <button type="button" disabled={toggling} onClick={() => void toggle(u)}>
                    {u.disabled ? `Enable ${u.name}` : `Disable ${u.name}`}
                  </button>
                  {rowError?.name === u.name && <ErrorBox error={rowError.error} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More users" />
    </main>
  );
}
