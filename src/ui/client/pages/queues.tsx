// Builder: queues, their members and how new tasks are allocated among them.

import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Field, announce, useData } from '../components.tsx';

interface Queue {
  name: string;
  description?: string | null;
  members: string[];
  allocation: string;
}

const ALLOCATIONS: Record<string, string> = {
  none: 'None: tasks wait for someone to pick them up',
  round_robin: 'Round robin among the members',
  least_loaded: 'The member with the fewest open tasks',
  owner: "The case's owner",
};

const membersOf = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function QueueRow({ q, onSaved }: { q: Queue; onSaved: () => void }) {
  const [members, setMembers] = useState(q.members.join(', '));
  const [allocation, setAllocation] = useState(q.allocation);
  const [error, setError] = useState<unknown>(null);
  const id = `q-${q.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api('PATCH', `/v1/queues/${encodeURIComponent(q.name)}`, { members: membersOf(members), allocation });
      setError(null);
      announce(`Queue ${q.name} saved`);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <tr data-queue={q.name}>
      <th scope="row">{q.name}</th>
      <td colSpan={3}>
        <form class="inline" onSubmit={save}>
          <label for={`${id}-members`}>Members of {q.name}</label>
          <input id={`${id}-members`} value={members} onInput={(e) => setMembers(e.currentTarget.value)} />
          <label for={`${id}-allocation`}>Allocation of {q.name}</label>
          <select id={`${id}-allocation`} value={allocation} onChange={(e) => setAllocation(e.currentTarget.value)}>
            {Object.entries(ALLOCATIONS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
          <button type="submit">Save {q.name}</button>
        </form>
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}

export function QueuesPage() {
  const list = useData(() => api<{ items: Queue[] }>('GET', '/v1/queues'), []);
  const [name, setName] = useState('');
  const [members, setMembers] = useState('');
  const [allocation, setAllocation] = useState('none');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api('POST', '/v1/queues', { name, members: membersOf(members), allocation });
      setError(null);
      setName('');
      setMembers('');
      announce(`Queue ${name} created`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Queues</h1>
      <form class="form" onSubmit={create}>
        <Field label="Name" id="nq-name">
          <input id="nq-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Members" id="nq-members" hint="User names, separated by commas.">
          <input id="nq-members" aria-describedby="nq-members-hint" value={members} onInput={(e) => setMembers(e.currentTarget.value)} />
        </Field>
        <Field label="Allocation" id="nq-allocation">
          <select id="nq-allocation" value={allocation} onChange={(e) => setAllocation(e.currentTarget.value)}>
            {Object.entries(ALLOCATIONS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Create queue</button>
      </form>
      <ErrorBox error={error} />
      <h2>Queues</h2>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No queues yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class="queues">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" colSpan={3}>
                Members and allocation
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((q) => (
              <QueueRow key={q.name + q.members.join() + q.allocation} q={q} onSaved={list.reload} />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
