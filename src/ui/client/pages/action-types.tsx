// Builder: action types. The template editor shows the parsed fields and their types as you type
// (POST /v1/action-types/preview-fields), the JSON Schema, and, once saved, a test that renders
// (or sends once) the exact request, and a launch.

import { useEffect, useState } from 'preact/hooks';
import { api, can, type Session } from '../api.ts';
import { navigate } from '../router.ts';
import { ErrorBox, Field, useData } from '../components.tsx';

const TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'json'];
interface FieldSpec {
  type: string;
  required: boolean;
  default?: unknown;
}
interface ActionType {
  id: string;
  name: string;
  description?: string;
  connector: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: { format: string; template?: string; fields?: Record<string, string> };
  fields: Record<string, { type?: string; required?: boolean; default?: unknown }>;
  completion: { mode: string; timeout?: number };
  retry: { maxRetries: number; interval?: number | string; backoff?: string };
  allocation: { queue?: string };
  response: Record<string, string>;
  parsedFields: Record<string, FieldSpec>;
  revision: number;
}
interface Preview {
  fields: Record<string, FieldSpec>;
  systemTokens: string[];
  schema: unknown;
}

export function ActionTypesPage() {
  const list = useData(() => api<{ items: ActionType[] }>('GET', '/v1/action-types'), []);
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
    </main>
  );
}

interface Form {
  name: string;
  description: string;
  connector: string;
  method: string;
  path: string;
  headers: string;
  bodyFormat: string;
  template: string;
  declared: Record<string, { type: string; required: boolean; default: string }>;
  mode: string;
  timeout: string;
  maxRetries: string;
  interval: string;
  backoff: string;
  queue: string;
  successWhen: string;
  output: string;
  externalReference: string;
  rejectedReason: string;
}

const parseLines = (t: string): Record<string, string> =>
  Object.fromEntries(
    t
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf(':');
        return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
      }),
  );

function formOf(t: ActionType | undefined): Form {
  return {
    name: t?.name ?? '',
    description: t?.description ?? '',
    connector: t?.connector ?? '',
    method: t?.method ?? 'POST',
    path: t?.path ?? '/',
    headers: Object.entries(t?.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    bodyFormat: t?.body.format ?? 'json',
    template: t?.body.template ?? '{}',
    declared: Object.fromEntries(
      Object.entries(t?.fields ?? {}).map(([k, v]) => [
        k,
        {
          type: v.type ?? 'string',
          required: v.required ?? true,
          default: v.default === undefined ? '' : typeof v.default === 'string' ? v.default : JSON.stringify(v.default),
        },
      ]),
    ),
    mode: t?.completion.mode ?? 'response',
    timeout: t?.completion.timeout ? `${t.completion.timeout / 1000}s` : '',
    maxRetries: String(t?.retry.maxRetries ?? 3),
    interval:
      t?.retry.interval !== undefined ? (typeof t.retry.interval === 'number' ? `${t.retry.interval / 1000}s` : t.retry.interval) : '',
    backoff: t?.retry.backoff ?? 'exponential',
    queue: t?.allocation.queue ?? '',
    successWhen: t?.response.successWhen ?? '',
    output: t?.response.output ?? '',
    externalReference: t?.response.externalReference ?? '',
    rejectedReason: t?.response.rejectedReason ?? '',
  };
}

/** A typed value from what was typed in a box, by the field's type. */
function typed(type: string, text: string): unknown {
  if (type === 'number' || type === 'integer') return text.trim() === '' ? text : Number(text);
  if (type === 'boolean') return text === 'true';
  if (type === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function templatesOf(f: Form): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(f.declared))
    if (d.type !== 'string' || !d.required || d.default !== '')
      fields[k] = {
        type: d.type,
        ...(d.required ? {} : { required: false }),
        ...(d.default !== '' ? { default: typed(d.type, d.default) } : {}),
      };
  return {
    path: f.path,
    headers: parseLines(f.headers),
    body:
      f.bodyFormat === 'json'
        ? { format: 'json', template: f.template }
        : f.bodyFormat === 'form'
          ? { format: 'form', fields: parseLines(f.template) }
          : { format: 'none' },
    fields,
  };
}

function bodyOf(f: Form): Record<string, unknown> {
  const response = Object.fromEntries(
    (['successWhen', 'output', 'externalReference', 'rejectedReason'] as const).filter((k) => f[k]).map((k) => [k, f[k]]),
  );
  return {
    name: f.name,
    ...(f.description ? { description: f.description } : {}),
    connector: f.connector,
    method: f.method,
    ...templatesOf(f),
    completion: { mode: f.mode, ...(f.timeout ? { timeout: f.timeout } : {}) },
    retry: { maxRetries: Number(f.maxRetries), ...(f.interval ? { interval: f.interval } : {}), backoff: f.backoff },
    ...(f.queue ? { allocation: { queue: f.queue } } : {}),
    response,
  };
}

interface TestResult {
  sent: boolean;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response?: { status: number; body: unknown; durationMs: number };
  error?: { kind: string; message: string };
}

/** The request (and answer) as HTTP text, the way a person reads it. */
function httpText(r: TestResult): string {
  const head = Object.entries(r.request.headers).map(([k, v]) => `${k}: ${v}`);
  const parts = [`${r.request.method} ${r.request.url}\n${head.join('\n')}${r.request.body ? `\n\n${r.request.body}` : ''}`];
  if (!r.sent) parts.push('(rendered, not sent)');
  if (r.response)
    parts.push(
      `HTTP ${r.response.status} in ${Math.round(r.response.durationMs)} ms\n\n${typeof r.response.body === 'string' ? r.response.body : JSON.stringify(r.response.body, null, 2)}`,
    );
  if (r.error) parts.push(`Not answered: ${r.error.kind}: ${r.error.message}`);
  return parts.join('\n\n');
}

function TestPanel({ t, session }: { t: ActionType; session: Session }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<unknown>(null);
  const [launched, setLaunched] = useState<string>('');
  const [error, setError] = useState<unknown>(null);
  const input = (): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(values)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, typed(t.parsedFields[k]?.type ?? 'string', v)]),
    );
  const run = async (send: boolean): Promise<void> => {
    try {
      setResult(await api('POST', `/v1/action-types/${t.id}/test`, { input: input(), send }));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const launch = async (): Promise<void> => {
    try {
      const a = await api<{ id: string }>('POST', '/v1/actions', { actionType: t.id, input: input() });
      setLaunched(a.id);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-label="Test action" class="panel">
      <h2>Test action</h2>
      {Object.entries(t.parsedFields).map(([k, s]) => (
        <Field key={k} label={`${k} (${s.type}${s.required ? '' : ', optional'})`} id={`test-${k}`}>
          <input id={`test-${k}`} value={values[k] ?? ''} onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })} />
        </Field>
      ))}
      <p class="buttons">
        <button type="button" onClick={() => void run(false)}>
          Render request
        </button>
        <button type="button" onClick={() => void run(true)}>
          Send once
        </button>
        {can(session, 'launch') && (
          <button type="button" onClick={() => void launch()}>
            Launch action
          </button>
        )}
      </p>
      <ErrorBox error={error} />
      {launched && (
        <p role="status">
          Launched: <a href={`/ui/actions/${launched}`}>open the action</a>
        </p>
      )}
      {result !== null && <pre data-testid="test-result">{httpText(result as TestResult)}</pre>}
    </section>
  );
}

export function ActionTypePage({ id, session }: { id: string; session: Session }) {
  const isNew = id === 'new';
  const loaded = useData(
    () => (isNew ? Promise.resolve(undefined) : api<ActionType>('GET', `/v1/action-types/${encodeURIComponent(id)}`)),
    [id],
  );
  const connectors = useData(() => api<{ items: Array<{ id: string; name: string }> }>('GET', '/v1/connectors'), []);
  const t = loaded.data;
  const [f, setF] = useState<Form>(formOf(undefined));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  useEffect(() => setF(formOf(t)), [t?.id, t?.revision]);
  useEffect(() => {
    if (!f.connector && connectors.data?.items[0]) setF((x) => ({ ...x, connector: connectors.data!.items[0]!.id }));
  }, [connectors.data]);
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });

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

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const r = isNew
        ? await api<ActionType>('POST', '/v1/action-types', bodyOf(f))
        : await api<ActionType>('PATCH', `/v1/action-types/${t!.id}`, bodyOf(f));
      setError(null);
      setSaved(`Saved ${r.name}.`);
      if (isNew) navigate(`/ui/action-types/${r.id}`, true);
      else loaded.setData(r);
    } catch (err) {
      setError(err);
      setSaved('');
    }
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
            <div class="row">
              <Field label="Most retries" id="t-retries">
                <input
                  id="t-retries"
                  inputMode="numeric"
                  value={f.maxRetries}
                  onInput={(e) => set({ maxRetries: e.currentTarget.value })}
                />
              </Field>
              <Field label="Retry interval" id="t-interval">
                <input id="t-interval" placeholder="e.g. 2s" value={f.interval} onInput={(e) => set({ interval: e.currentTarget.value })} />
              </Field>
              <Field label="Backoff" id="t-backoff">
                <select id="t-backoff" value={f.backoff} onChange={(e) => set({ backoff: e.currentTarget.value })}>
                  <option value="exponential">exponential</option>
                  <option value="fixed">fixed</option>
                </select>
              </Field>
            </div>
            <Field label="Queue for To Do" id="t-queue">
              <input id="t-queue" value={f.queue} onInput={(e) => set({ queue: e.currentTarget.value })} />
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
