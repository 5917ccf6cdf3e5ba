// Builder: queues. The list, with what each integrated queue is integrated with, and one form to
// create a queue and to edit one (/ui/queues/{name}): its description, members, allocation and its
// integration with an external provider (SPEC 7): the connector and the action types it launches.

import { useState } from 'preact/hooks';
import { api, patchAt, readWholeList } from '../api.ts';
import { ErrorBox, Field, NotSaved, problemAt, useData, useFormState } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import {
  ALLOCATIONS,
  INTEGRATION_ACTIONS,
  bodyOf,
  find,
  formOf,
  isAbout,
  nameOf,
  withConnector,
  type Form,
  type Named,
  type Queue,
} from './queue-form.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';

/** The connectors and action types an integration chooses from. */
interface Refs {
  connectors: Named[] | undefined;
  actionTypes: Named[] | undefined;
  error: unknown;
}

function useRefs(): Refs {
  const connectors = useData(() => readWholeList<Named>('/v1/connectors'), []);
  const actionTypes = useData(() => readWholeList<Named>('/v1/action-types'), []);
  return { connectors: connectors.data?.items, actionTypes: actionTypes.data?.items, error: connectors.error ?? actionTypes.error };
}

export function QueuesPage() {
  const list = usePagedList<Queue>('/v1/queues', (q) => q.name);
  const refs = useRefs();
  return (
    <main id="main">
      <h1 tabIndex={-1}>Queues</h1>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No queues yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table class="queues">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Description</th>
              <th scope="col">Members</th>
              <th scope="col">Allocation</th>
              <th scope="col">Integration</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((q) => (
              <tr key={q.name} data-queue={q.name}>
                <th scope="row">
                  <a href={`/ui/queues/${encodeURIComponent(q.name)}`}>{q.name}</a>
                </th>
                <td>{q.description ?? ''}</td>
                <td>{q.members.join(', ') || '—'}</td>
                <td>{q.allocation.replace('_', ' ')}</td>
                <td data-testid="integration">
                  <IntegrationSummary q={q} refs={refs} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More queues" />
      <h2>New queue</h2>
      <ErrorBox error={refs.error} />
      <QueueForm refs={refs} onSaved={list.reload} />
    </main>
  );
}

function IntegrationSummary({ q, refs }: { q: Queue; refs: Refs }) {
  const i = q.integration;
  if (!i) return <>Not integrated</>;
  return (
    <>
      <span class="badge">Integrated</span> with {nameOf(refs.connectors, i.connector)}
      <ul class="integration">
        {INTEGRATION_ACTIONS.map(({ key, label }) =>
          i[key] ? (
            <li key={key}>
              {label}: {nameOf(refs.actionTypes, i[key])}
            </li>
          ) : null,
        )}
      </ul>
    </>
  );
}

export function QueuePage({ name }: { name: string }) {
  const loaded = useData(() => api<Queue>('GET', `/v1/queues/${encodeURIComponent(name)}`), [name]);
  const refs = useRefs();
  return (
    <main id="main">
      <p class="crumbs">
        <a href="/ui/queues">Queues</a>
      </p>
      <h1 tabIndex={-1}>Queue {name}</h1>
      <ErrorBox error={loaded.error} />
      <ErrorBox error={refs.error} />
      {loaded.data && <QueueForm queue={loaded.data} refs={refs} onSaved={loaded.setData} />}
    </main>
  );
}

/**
 * Creates a queue (no `queue`) or edits one; a refusal is shown beside the fields it names (the rest
 * under the form), and nothing is kept.
 */
function QueueForm({ queue, refs, onSaved }: { queue?: Queue; refs: Refs; onSaved: (q: Queue) => void }) {
  const isNew = queue === undefined;
  const [created, setCreated] = useState(0);
  const [f, setF] = useFormState<Form>(isNew ? `new:${created}` : `${queue.name}:${queue.revision}`, () => formOf(queue));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });
  /** What the API said of `field` (or an item of it, `item` its word), for the input `id`: its attributes and the message beside it. */
  const at = (field: string, id: string, label: string, item = label) =>
    problemAt(error, id, {
      about: (x) => isAbout(x, field),
      // An item by its place (`members[2]` is Member 3): the members are typed as one line.
      text: (x) =>
        x.field === field ? `${label} ${x.message}` : `${item} ${Number(x.field.slice(field.length + 1, -1)) + 1}: ${x.message}`,
      hint: field !== 'name',
    });
  const nameSaid = at('name', 'q-name', 'Name');
  const descriptionSaid = at('description', 'q-description', 'Description');
  const membersSaid = at('members', 'q-members', 'Members', 'Member');
  const allocationSaid = at('allocation', 'q-allocation', 'Allocation');
  const connectorSaid = at('integration.connector', 'q-connector', 'Connector');
  // The fields on the form now: a problem with none of them (the body, the revision) is listed under it.
  const shown = [
    ...(isNew ? ['name'] : []),
    'description',
    'members',
    'allocation',
    'integration.connector',
    ...(f.connector ? INTEGRATION_ACTIONS.map(({ key }) => `integration.${key}`) : []),
  ];

  const connector = find(refs.connectors, f.connector);
  const offered = (refs.actionTypes ?? []).filter((t) => connector !== undefined && t.connector === connector.id);

  const [saving, whileSaving] = useOneAtATime();
  const save = (e: Event): Promise<void> => {
    e.preventDefault();
    return whileSaving(async () => {
      try {
        const r = isNew
          ? await api<Queue>('POST', '/v1/queues', bodyOf(f, true))
          : await patchAt<Queue>(`/v1/queues/${encodeURIComponent(queue.name)}`, bodyOf(f, false), queue.revision);
        setError(null);
        setSaved(isNew ? `Created ${r.name}.` : `Saved ${r.name}.`);
        if (isNew) setCreated((n) => n + 1);
        onSaved(r);
      } catch (err) {
        setError(err);
        setSaved('');
      }
    });
  };

  return (
    <form class="form" onSubmit={save} aria-label={isNew ? 'New queue' : `Queue ${queue.name}`}>
      <fieldset class="form-fields" disabled={saving}>
        {isNew && (
          <Field label="Name" id="q-name">
            <input {...nameSaid.attrs} required maxLength={100} value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />
            {nameSaid.message}
          </Field>
        )}
        <Field label="Description" id="q-description" hint="At most 2,000 characters; empty for none.">
          <textarea
            {...descriptionSaid.attrs}
            rows={2}
            value={f.description}
            onInput={(e) => set({ description: e.currentTarget.value })}
          />
          {descriptionSaid.message}
        </Field>
        <Field label="Members" id="q-members" hint="User names, separated by commas.">
          <input {...membersSaid.attrs} value={f.members} onInput={(e) => set({ members: e.currentTarget.value })} />
          {membersSaid.message}
        </Field>
        <Field label="Allocation" id="q-allocation" hint="Who gets each task that lands on the queue.">
          <select {...allocationSaid.attrs} value={f.allocation} onChange={(e) => set({ allocation: e.currentTarget.value })}>
            {Object.entries(ALLOCATIONS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
          {allocationSaid.message}
        </Field>
        <fieldset aria-describedby="q-integration-hint">
          <legend>Integration with an external provider</legend>
          <p id="q-integration-hint" class="hint">
            An integrated queue hands its tasks to a provider: these action types, on the provider's connector, send it each new assignment,
            update note, closure and declined solution.
          </p>
          <Field label="Connector" id="q-connector" hint="The provider's connector; “Not integrated” removes the integration.">
            <select
              {...connectorSaid.attrs}
              value={connector?.id ?? f.connector}
              onChange={(e) => setF(withConnector(f, e.currentTarget.value, refs.actionTypes))}
            >
              <option value="">Not integrated</option>
              {f.connector && !connector && <option value={f.connector}>{f.connector} (not found)</option>}
              {refs.connectors?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
            {connectorSaid.message}
          </Field>
          {f.connector && connector && offered.length === 0 && (
            <p class="hint">
              {connector.name} has no action types yet: <a href="/ui/action-types/new">create one</a>.
            </p>
          )}
          {f.connector &&
            INTEGRATION_ACTIONS.map(({ key, label, hint }) => {
              const said = at(`integration.${key}`, `q-${key}`, label);
              const ref = f.actions[key];
              const t = find(refs.actionTypes, ref);
              return (
                <Field key={key} label={label} id={said.attrs.id} hint={hint}>
                  <select
                    {...said.attrs}
                    required={key === 'onAssign'}
                    value={t?.id ?? ref}
                    onChange={(e) => set({ actions: { ...f.actions, [key]: e.currentTarget.value } })}
                  >
                    <option value="">{key === 'onAssign' ? 'Choose an action type' : 'None'}</option>
                    {ref && !offered.some((x) => x.id === t?.id) && (
                      <option value={t?.id ?? ref}>
                        {t ? `${t.name} (on connector ${nameOf(refs.connectors, t.connector ?? '')})` : `${ref} (not found)`}
                      </option>
                    )}
                    {offered.map((x) => (
                      <option key={x.id} value={x.id}>
                        {x.name}
                      </option>
                    ))}
                  </select>
                  {said.message}
                </Field>
              );
            })}
        </fieldset>
        <NotSaved error={error} beside={(x) => shown.some((field) => isAbout(x, field))} />
        <p class="buttons">
          <button type="submit">{isNew ? 'Create queue' : 'Save'}</button>
        </p>
        {saved && <p role="status">{saved}</p>}
      </fieldset>
    </form>
  );
}
