// Builder: processes. The list (newest first, a page at a time as the API gives them), and one
// process's name, description and steps as JSON in a textarea: checked as JSON while typed, then by
// the server, whose errors are shown per field (`steps/1/queue: …`) beside the box.

import { useState } from 'preact/hooks';
import { api, ApiError, patchAt, readWholeList } from '../api.ts';
import { ErrorBox, Field, announce, problemAt, useData, useFormState } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import { MoreButton, usePagedList } from '../paged-list.tsx';
import { navigate } from '../router.ts';
import { queueHint } from '../queue-hint.ts';

interface Process {
  id: string;
  name: string;
  description?: string;
  revision: number;
  steps: unknown[];
}

export function ProcessesPage() {
  // The API pages them (newest first): "More processes" adds the next page below the ones shown.
  const list = usePagedList<Process>('/v1/processes', (p) => p.id);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Processes</h1>
      <p>
        <a href="/ui/processes/new">New process</a>
      </p>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No processes yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Steps</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((p) => (
              <tr key={p.id}>
                <td>
                  {/* A process named "new" is opened by its id: /ui/processes/new is the page that creates one. */}
                  <a href={`/ui/processes/${encodeURIComponent(p.name === 'new' ? p.id : p.name)}`}>{p.name}</a>
                </td>
                <td>{p.steps.length}</td>
                <td>{p.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More processes" />
    </main>
  );
}

const EXAMPLE = `[
  { "name": "approve", "kind": "manual", "title": "Approve the request", "queue": "service-desk" },
  { "name": "order", "kind": "external", "actionType": "order-laptop", "input": "{ 'Model': case.model }" }
]`;

/** JSON as typed: the steps, or where the syntax breaks. */
function parseSteps(text: string): { steps?: unknown; error?: string } {
  try {
    const steps: unknown = JSON.parse(text);
    return Array.isArray(steps) ? { steps } : { error: 'must be a JSON array of steps' };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The queues the manual steps name, as typed (none while the steps are not JSON). */
function stepQueues(steps: unknown): string[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((x: unknown) =>
    x !== null &&
    typeof x === 'object' &&
    (x as { kind?: unknown }).kind === 'manual' &&
    typeof (x as { queue?: unknown }).queue === 'string'
      ? [(x as { queue: string }).queue]
      : [],
  );
}

export function ProcessPage({ name }: { name: string }) {
  const isNew = name === 'new';
  const existing = useData(
    () => (isNew ? Promise.resolve(undefined) : api<Process>('GET', `/v1/processes/${encodeURIComponent(name)}`)),
    [name],
  );
  // The fields start again from the process as read or saved, in the render that shows it (an effect
  // did it a frame later: what was typed in that frame was lost).
  const p = existing.data;
  const [form, setForm] = useFormState(p ? `${p.name}:${p.revision}` : `${name}:none`, () => ({
    pname: p?.name ?? '',
    description: p?.description ?? '',
    steps: p ? JSON.stringify(p.steps, null, 2) : EXAMPLE,
  }));
  const { pname, description, steps } = form;
  const setPname = (v: string): void => setForm((x) => ({ ...x, pname: v }));
  const setDescription = (v: string): void => setForm((x) => ({ ...x, description: v }));
  const setSteps = (v: string): void => setForm((x) => ({ ...x, steps: v }));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const [saving, whileSaving] = useOneAtATime();
  const parsed = parseSteps(steps);
  // A manual step's queue that no queue has is said below the steps (the API takes it as typed).
  const queues = useData(() => readWholeList<{ name: string }>('/v1/queues'), []);
  const queueNotes = [...new Set(stepQueues(parsed.steps))].flatMap((q) => queueHint(q, queues.data?.items) ?? []);
  const problems = error instanceof ApiError ? error.errors : [];
  // A problem with the name or description is shown by its field; the rest are the steps'.
  const about = (field: 'name' | 'description') => problemAt(error, `p-${field}`, { about: (x) => x === field, announce: true });
  const nameSaid = about('name');
  const descriptionSaid = about('description');
  const fieldErrors = problems.filter((x) => x.field !== 'name' && x.field !== 'description');
  const save = (e: Event): Promise<void> => {
    e.preventDefault();
    if (parsed.error) return Promise.resolve();
    // An emptied description is sent as null, which clears it (a PATCH keeps what it leaves out).
    const body = { name: pname, description: description || null, steps: parsed.steps };
    return whileSaving(async () => {
      try {
        const r = isNew
          ? await api<Process>('POST', '/v1/processes', body)
          : await patchAt<Process>(`/v1/processes/${encodeURIComponent(name)}`, body, existing.data!.revision);
        setError(null);
        // The next save is made on this revision (the page is not read again when the name stays).
        if (!isNew) existing.setData(r);
        setSaved(`Saved ${r.name}.`);
        announce(`Process ${r.name} saved`);
        navigate(`/ui/processes/${encodeURIComponent(r.name)}`, true);
      } catch (err) {
        setSaved('');
        setError(err);
      }
    });
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>{isNew ? 'New process' : `Process ${name}`}</h1>
      <ErrorBox error={existing.error} />
      <form class="form" onSubmit={save}>
        <fieldset class="form-fields" disabled={saving}>
          <Field label="Name" id="p-name">
            <input {...nameSaid.attrs} required maxLength={100} value={pname} onInput={(e) => setPname(e.currentTarget.value)} />
            {nameSaid.message}
          </Field>
          <Field label="Description" id="p-description">
            <input {...descriptionSaid.attrs} maxLength={2000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
            {descriptionSaid.message}
          </Field>
          <Field
            label="Steps (JSON)"
            id="p-steps"
            hint="An array of steps: manual (name; queue, else the case’s queue), external (name, actionType, input as JSONata over { case, steps }) or map (name, expression)."
          >
            <textarea
              id="p-steps"
              rows={14}
              spellcheck={false}
              class="code"
              aria-describedby={`p-steps-hint p-steps-check${queueNotes.length ? ' p-steps-queues' : ''}`}
              aria-invalid={parsed.error || fieldErrors.length ? 'true' : undefined}
              value={steps}
              onInput={(e) => setSteps(e.currentTarget.value)}
            />
          </Field>
          <p id="p-steps-check" class={parsed.error ? 'field-error' : 'hint'} data-testid="steps-check">
            {parsed.error ? `Not JSON yet: ${parsed.error}` : `${(parsed.steps as unknown[]).length} steps`}
          </p>
          {queueNotes.length > 0 && (
            <ul id="p-steps-queues" class="hint" data-testid="steps-queues">
              {queueNotes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          {fieldErrors.length > 0 && (
            <div role="alert">
              <ul class="field-errors" data-testid="field-errors" aria-label="Problems with the process">
                {fieldErrors.map((x, i) => (
                  <li key={i}>
                    <code>{x.field || '(process)'}</code> {x.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <button type="submit" disabled={!!parsed.error}>
            {isNew ? 'Create process' : 'Save process'}
          </button>
        </fieldset>
      </form>
      {saved && <p role="status">{saved}</p>}
      {error && !(error instanceof ApiError && error.errors.length) ? <ErrorBox error={error} /> : null}
    </main>
  );
}
