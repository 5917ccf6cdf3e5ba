// Builder: action types. The template editor shows the parsed fields and their types as you type
// (POST /v1/action-types/preview-fields), the JSON Schema, and, once saved, a test that renders
// (or sends once) the exact request, and a launch; a cURL line can fill the request (action-type-curl.tsx).

import { useEffect, useState } from 'preact/hooks';
import { api, patchAt, readWholeList, type Session } from '../api.ts';
import { navigate } from '../router.ts';
import { ErrorBox, Field, RetryFields, useData, useFormState } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import { TYPES, bodyOf, formOf, templatesOf, type ActionType, type Form, type Preview } from './action-type-form.ts';
import { queueHint } from '../queue-hint.ts';
import { TestPanel } from './action-type-test.tsx';
import { CurlImport } from './action-type-curl.tsx';
import { MoreButton, usePagedList } from '../paged-list.tsx';

export function ActionTypesPage() {
  const list = usePagedList<ActionType>('/v1/action-types', (t) => t.id);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Action types</h1>
      <p>
        <a class="button" href="/ui/action-types/new">
          New action type
        </a>
      </p>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Request</th>
              <th scope="col">Fields</th>
              <th scope="col">Completion</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={`/ui/action-types/${t.id}`}>{t.name}</a>
                </td>
                <td>
                  <code>
                    {t.method} {t.path}
                  </code>
                </td>
                <td>{Object.keys(t.parsedFields).join(', ') || '—'}</td>
                <td>{t.completion.mode}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More action types" />
    </main>
  );
}

export function ActionTypePage({ id, session }: { id: string; session: Session }) {
  const isNew = id === 'new';
  const loaded = useData(
    () => (isNew ? Promise.resolve(undefined) : api<ActionType>('GET', `/v1/action-types/${encodeURIComponent(id)}`)),
    [id],
  );
  const connectors = useData(() => readWholeList<{ id: string; name: string; baseUrl: string }>('/v1/connectors'), []);
  // Offered in the queue box, and told apart from a name no queue has.
  const queues = useData(() => readWholeList<{ name: string }>('/v1/queues'), []);
  const t = loaded.data;
  const [f, setF] = useFormState<Form>(`${id}:${t?.id ?? ''}:${t?.revision ?? 0}`, () => formOf(t));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  useEffect(() => {
    if (!f.connector && connectors.data?.items[0]) setF((x) => ({ ...x, connector: connectors.data!.items[0]!.id }));
  }, [connectors.data]);
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });
  const queueNote = queueHint(f.queue, queues.data?.items);

  // Parsed as you type, a quarter second after the last key.
  const templatesKey = JSON.stringify(templatesOf(f));
  useEffect(() => {
    const timer = setTimeout(() => {
      api<Preview>('POST', '/v1/action-types/preview-fields', JSON.parse(templatesKey)).then(
        (p) => {
          setPreview(p);
          setPreviewError(null);
        },
        (e: unknown) => setPreviewError(e),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [templatesKey]);

  const [saving, whileSaving] = useOneAtATime();
  const save = (e: Event): Promise<void> => {
    e.preventDefault();
    return whileSaving(async () => {
      try {
        const r = isNew
          ? await api<ActionType>('POST', '/v1/action-types', bodyOf(f))
          : await patchAt<ActionType>(`/v1/action-types/${t!.id}`, bodyOf(f, t), t!.revision);
        setError(null);
        setSaved(`Saved ${r.name}.`);
        if (isNew) navigate(`/ui/action-types/${r.id}`, true);
        else loaded.setData(r);
      } catch (err) {
        setError(err);
        setSaved('');
      }
    });
  };
  const declare = (name: string, patch: Partial<Form['declared'][string]>): void =>
    set({ declared: { ...f.declared, [name]: { type: 'string', required: true, default: '', ...f.declared[name], ...patch } } });

  if (loaded.error)
    return (
      <main id="main">
        <h1 tabIndex={-1}>Action type</h1>
        <ErrorBox error={loaded.error} />
      </main>
    );
  return (
    <main id="main">
      <p class="crumbs">
        <a href="/ui/action-types">Action types</a>
      </p>
      <h1 tabIndex={-1}>{isNew ? 'New action type' : t ? `Action type ${t.name}` : 'Action type'}</h1>
      <div class="split">
        <form onSubmit={save} class="form">
          <fieldset class="form-fields" disabled={saving}>
            <Field label="Name" id="t-name">
              <input id="t-name" required value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </Field>
            <Field label="Description" id="t-description">
              <input id="t-description" value={f.description} onInput={(e) => set({ description: e.currentTarget.value })} />
            </Field>
            <Field label="Connector" id="t-connector">
              <select id="t-connector" value={f.connector} onChange={(e) => set({ connector: e.currentTarget.value })}>
                {connectors.data?.items.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </Field>
            <CurlImport form={f} connectors={connectors.data?.items ?? []} onImport={setF} />
            <div class="row">
              <Field label="Method" id="t-method">
                <select id="t-method" value={f.method} onChange={(e) => set({ method: e.currentTarget.value })}>
                  {['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </Field>
              <Field label="Path template" id="t-path">
                <input id="t-path" value={f.path} onInput={(e) => set({ path: e.currentTarget.value })} />
              </Field>
            </div>
            <Field label="Header templates (one per line, Name: value)" id="t-headers">
              <textarea id="t-headers" rows={2} value={f.headers} onInput={(e) => set({ headers: e.currentTarget.value })} />
            </Field>
            <Field label="Body format" id="t-format">
              <select id="t-format" value={f.bodyFormat} onChange={(e) => set({ bodyFormat: e.currentTarget.value })}>
                <option value="json">JSON</option>
                <option value="form">form (one key: value per line)</option>
                <option value="none">none</option>
              </select>
            </Field>
            {f.bodyFormat !== 'none' && (
              <Field
                label="Body template"
                id="t-body"
                hint="Tokens look like {{ Name }}; a string that is exactly one token takes the field's typed value."
              >
                <textarea
                  id="t-body"
                  class="code"
                  rows={6}
                  spellcheck={false}
                  value={f.template}
                  onInput={(e) => set({ template: e.currentTarget.value })}
                  aria-describedby="t-body-hint"
                />
              </Field>
            )}
            <fieldset>
              <legend>Completion and retries</legend>
              <div class="row">
                <Field label="Completion mode" id="t-mode">
                  <select id="t-mode" value={f.mode} onChange={(e) => set({ mode: e.currentTarget.value })}>
                    <option value="response">response</option>
                    <option value="callback">callback</option>
                  </select>
                </Field>
                <Field label="Completion timeout" id="t-timeout">
                  <input id="t-timeout" placeholder="e.g. 5m" value={f.timeout} onInput={(e) => set({ timeout: e.currentTarget.value })} />
                </Field>
              </div>
              <RetryFields prefix="t" value={f} onChange={set} error={error} />
              <Field label="Queue for To Do" id="t-queue" hint={queueNote}>
                <input
                  id="t-queue"
                  list="t-queue-names"
                  value={f.queue}
                  onInput={(e) => set({ queue: e.currentTarget.value })}
                  aria-describedby={queueNote ? 't-queue-hint' : undefined}
                />
                <datalist id="t-queue-names">
                  {queues.data?.items.map((q) => (
                    <option key={q.name} value={q.name} />
                  ))}
                </datalist>
              </Field>
            </fieldset>
            <fieldset>
              <legend>Response mapping (JSONata)</legend>
              {(['successWhen', 'output', 'externalReference', 'rejectedReason'] as const).map((k) => (
                <Field key={k} label={k} id={`t-${k}`}>
                  <input id={`t-${k}`} class="code" value={f[k]} onInput={(e) => set({ [k]: e.currentTarget.value })} />
                </Field>
              ))}
            </fieldset>
            <p class="buttons">
              <button type="submit">{isNew ? 'Create action type' : 'Save'}</button>
            </p>
            {saved && <p role="status">{saved}</p>}
            <ErrorBox error={error} />
          </fieldset>
        </form>
        <aside aria-label="Parsed fields">
          <h2>Fields</h2>
          <ErrorBox error={previewError} />
          {preview && (
            <>
              {Object.keys(preview.fields).length === 0 && <p>No fields yet: type a token like {'{{ Title }}'}.</p>}
              <table class="fields" data-testid="parsed-fields">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Type</th>
                    <th scope="col">Required</th>
                    <th scope="col">Default</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(preview.fields).map(([name, s]) => (
                    <tr key={name} data-field={name}>
                      <th scope="row">{name}</th>
                      <td>
                        <select
                          aria-label={`Type of ${name}`}
                          value={s.type}
                          onChange={(e) => declare(name, { type: e.currentTarget.value })}
                        >
                          {TYPES.map((x) => (
                            <option key={x}>{x}</option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`${name} is required`}
                          checked={s.required}
                          onChange={(e) => declare(name, { required: e.currentTarget.checked })}
                        />
                      </td>
                      <td>
                        <input
                          aria-label={`Default of ${name}`}
                          size={8}
                          value={f.declared[name]?.default ?? ''}
                          onInput={(e) => declare(name, { default: e.currentTarget.value })}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {preview.systemTokens.length > 0 && <p>System tokens: {preview.systemTokens.join(', ')}</p>}
              <details>
                <summary>JSON Schema of the input</summary>
                <pre data-testid="schema">{JSON.stringify(preview.schema, null, 2)}</pre>
              </details>
            </>
          )}
        </aside>
      </div>
      {t && <TestPanel t={t} session={session} />}
    </main>
  );
}
