// Builder: connectors. List with circuit state; create and edit (secrets are write-only: the form
// shows which are set and sends a new one only when typed); test connection; rate limits.

import { useState } from 'preact/hooks';
import { api, patchAt } from '../api.ts';
import { navigate } from '../router.ts';
import { ErrorBox, Field, useData, useFormState } from '../components.tsx';
import { useOneAtATime } from '../form-request.ts';
import { durationText } from '../duration.ts';
import { ConnectorHealth } from './connector-health.tsx';
import { MoreButton, usePagedList } from '../paged-list.tsx';

interface Connector {
  id: string;
  name: string;
  revision: number;
  description: string | null;
  baseUrl: string;
  auth: Record<string, unknown> & { type: string };
  headers: Record<string, string>;
  rateLimits: Array<{ limit: number; per: number }>;
  maxConcurrency: number | null;
  timeout: number;
  secretsSet: string[];
  status: { circuit: string; failures: number; needsAttention: string | null };
}

/** Each authentication type in words (the API's words are the option values). */
const AUTH_LABELS: Record<string, string> = {
  none: 'None',
  basic: 'Basic (username and password)',
  bearer: 'Bearer token',
  header: 'Secret headers (an API key)',
  oauth2_client_credentials: 'OAuth 2.0 client credentials',
  oauth2_refresh_token: 'OAuth 2.0 refresh token',
};

/** The plain and secret settings of each authentication type. */
const AUTH: Record<string, { plain: string[]; secret: string[] }> = {
  none: { plain: [], secret: [] },
  basic: { plain: ['username'], secret: ['password'] },
  bearer: { plain: [], secret: ['token'] },
  header: { plain: [], secret: ['headers'] },
  oauth2_client_credentials: { plain: ['tokenUrl', 'clientId', 'scope', 'audience', 'clientAuth'], secret: ['clientSecret'] },
  oauth2_refresh_token: { plain: ['tokenUrl', 'clientId'], secret: ['clientSecret', 'refreshToken'] },
};

export function ConnectorsPage() {
  const list = usePagedList<Connector>('/v1/connectors', (c) => c.id);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Connectors</h1>
      <p>
        <a class="button" href="/ui/connectors/new">
          New connector
        </a>
      </p>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Base URL</th>
              <th scope="col">Authentication</th>
              <th scope="col">Rate limits</th>
              <th scope="col">Circuit</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={`/ui/connectors/${c.id}`}>{c.name}</a>
                </td>
                <td>
                  <code>{c.baseUrl}</code>
                </td>
                <td>{AUTH_LABELS[c.auth.type] ?? c.auth.type}</td>
                <td>{c.rateLimits.map((r) => `${r.limit} per ${r.per / 1000} s`).join(', ') || 'none'}</td>
                <td>
                  <span class={`badge circuit-${c.status.circuit}`}>{c.status.circuit.replace('_', ' ')}</span>
                  {c.status.needsAttention && <span class="badge bad">needs attention</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton list={list} label="More connectors" />
    </main>
  );
}

interface Form {
  name: string;
  description: string;
  baseUrl: string;
  authType: string;
  auth: Record<string, string>;
  headers: string;
  rateLimits: Array<{ limit: string; per: string }>;
  maxConcurrency: string;
  timeout: string;
  /** Typed or generated; empty keeps the stored one. */
  inboundSecret: string;
}

/** A new inbound secret as the API takes one: whsec_ and the base64 of 32 random bytes. */
function newInboundSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

const lines = (m: Record<string, string>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
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

function formOf(c: Connector | undefined): Form {
  return {
    name: c?.name ?? '',
    description: c?.description ?? '',
    baseUrl: c?.baseUrl ?? 'https://',
    authType: c?.auth.type ?? 'none',
    auth: Object.fromEntries(Object.entries(c?.auth ?? {}).filter(([k, v]) => k !== 'type' && typeof v === 'string')) as Record<
      string,
      string
    >,
    headers: lines(c?.headers ?? {}),
    rateLimits: (c?.rateLimits ?? []).map((r) => ({ limit: String(r.limit), per: durationText(r.per) })),
    maxConcurrency: c?.maxConcurrency ? String(c.maxConcurrency) : '',
    timeout: c ? durationText(c.timeout) : '30s',
    inboundSecret: '',
  };
}

function bodyOf(f: Form, existing: Connector | undefined): Record<string, unknown> {
  const spec = AUTH[f.authType] ?? AUTH.none!;
  const auth: Record<string, unknown> = { type: f.authType };
  for (const k of spec.plain) if (f.auth[k]) auth[k] = f.auth[k];
  // A secret is sent only when typed: an empty box keeps the stored one.
  for (const k of spec.secret) if (f.auth[k]) auth[k] = k === 'headers' ? parseLines(f.auth[k]!) : f.auth[k];
  const authChanged = !existing || existing.auth.type !== f.authType || Object.keys(auth).length > 1;
  // An emptied box clears the stored value (a PATCH keeps what it leaves out).
  const cleared = existing ? null : undefined;
  return {
    name: f.name,
    description: f.description || cleared,
    baseUrl: f.baseUrl,
    ...(authChanged ? { auth } : {}),
    headers: parseLines(f.headers),
    rateLimits: f.rateLimits.filter((r) => r.limit).map((r) => ({ limit: Number(r.limit), per: r.per })),
    maxConcurrency: f.maxConcurrency ? Number(f.maxConcurrency) : cleared,
    timeout: f.timeout,
    ...(f.inboundSecret ? { inboundSecret: f.inboundSecret } : {}),
  };
}

interface ConnectionTest {
  reachable: { ok: boolean; detail: string; status?: number; durationMs: number };
  authentication: { ok: boolean | null; detail: string };
}

/** A connection test as two lines a person reads: reached or not, authenticated or not, and why. */
function ConnectionResult({ result }: { result: ConnectionTest }) {
  const { reachable: r, authentication: a } = result;
  const mark = (ok: boolean | null): string => (ok === null ? 'Not checked' : ok ? 'Yes' : 'No');
  return (
    <dl class="facts" data-testid="test-connection">
      <dt>Reachable</dt>
      <dd data-testid="test-reachable" class={r.ok ? undefined : 'field-error'}>
        {mark(r.ok)}: {r.detail}, in {Math.round(r.durationMs)} ms
      </dd>
      <dt>Authentication</dt>
      <dd data-testid="test-authentication" class={a.ok === false ? 'field-error' : undefined}>
        {mark(a.ok)}: {a.detail}
      </dd>
    </dl>
  );
}

export function ConnectorPage({ id }: { id: string }) {
  const isNew = id === 'new';
  const loaded = useData(
    () => (isNew ? Promise.resolve(undefined) : api<Connector>('GET', `/v1/connectors/${encodeURIComponent(id)}`)),
    [id],
  );
  const c = loaded.data;
  const revision = c && 'revision' in c ? (c as { revision: number }).revision : 0;
  const [f, setF] = useFormState<Form>(`${id}:${c?.id ?? ''}:${revision}`, () => formOf(c));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const [test, setTest] = useState<unknown>(null);
  const [inboundShown, setInboundShown] = useState(false);
  const set = (patch: Partial<Form>): void => setF({ ...f, ...patch });
  const spec = AUTH[f.authType] ?? AUTH.none!;
  const inboundProps = {
    id: 'c-inbound',
    autoComplete: 'off',
    spellcheck: false,
    'aria-describedby': 'c-inbound-hint',
    value: f.inboundSecret,
    onInput: (e: Event) => set({ inboundSecret: (e.currentTarget as HTMLInputElement).value }),
  };

  const [saving, whileSaving] = useOneAtATime();
  const save = (e: Event): Promise<void> => {
    e.preventDefault();
    return whileSaving(async () => {
      try {
        const r = isNew
          ? await api<Connector>('POST', '/v1/connectors', bodyOf(f, undefined))
          : await patchAt<Connector>(`/v1/connectors/${c!.id}`, bodyOf(f, c), c!.revision);
        setError(null);
        setSaved(`Saved ${r.name}.`);
        // Saved: write-only from now on, like every secret.
        setInboundShown(false);
        if (isNew) navigate(`/ui/connectors/${r.id}`, true);
        else loaded.setData(r);
      } catch (err) {
        setError(err);
        setSaved('');
      }
    });
  };
  // One test at a time (a double click sent two requests to the system); the last result goes as a new
  // test starts, so a failure is never shown beside an earlier success.
  const [testing, whileTesting] = useOneAtATime();
  const testConnection = (): Promise<unknown> =>
    whileTesting(async () => {
      setTest(null);
      try {
        setTest(await api('POST', `/v1/connectors/${c!.id}/test`, {}));
        setError(null);
      } catch (err) {
        setError(err);
      }
    });
  if (loaded.error)
    return (
      <main id="main">
        <h1 tabIndex={-1}>Connector</h1>
        <ErrorBox error={loaded.error} />
      </main>
    );
  return (
    <main id="main">
      <p class="crumbs">
        <a href="/ui/connectors">Connectors</a>
      </p>
      <h1 tabIndex={-1}>{isNew ? 'New connector' : c ? `Connector ${c.name}` : 'Connector'}</h1>
      {c && (
        <p>
          Circuit <span class={`badge circuit-${c.status.circuit}`}>{c.status.circuit.replace('_', ' ')}</span> after {c.status.failures}{' '}
          failures in a row
          {c.status.needsAttention && <span class="badge bad">Needs attention: {c.status.needsAttention}</span>}
        </p>
      )}
      {c && <ConnectorHealth id={c.id} name={c.name} />}
      <h2>Settings</h2>
      <form onSubmit={save} class="form">
        <fieldset class="form-fields" disabled={saving}>
          <Field label="Name" id="c-name">
            <input id="c-name" required value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />
          </Field>
          <Field label="Description" id="c-description">
            <input id="c-description" value={f.description} onInput={(e) => set({ description: e.currentTarget.value })} />
          </Field>
          <Field label="Base URL" id="c-base">
            <input id="c-base" required value={f.baseUrl} onInput={(e) => set({ baseUrl: e.currentTarget.value })} />
          </Field>
          <Field label="Authentication" id="c-auth">
            <select id="c-auth" value={f.authType} onChange={(e) => set({ authType: e.currentTarget.value })}>
              {Object.keys(AUTH).map((t) => (
                <option key={t} value={t}>
                  {AUTH_LABELS[t] ?? t}
                </option>
              ))}
            </select>
          </Field>
          {spec.plain.map((k) => (
            <Field key={k} label={k} id={`c-auth-${k}`}>
              <input id={`c-auth-${k}`} value={f.auth[k] ?? ''} onInput={(e) => set({ auth: { ...f.auth, [k]: e.currentTarget.value } })} />
            </Field>
          ))}
          {spec.secret.map((k) => {
            const isSet = c?.secretsSet.includes(`auth.${k}`) && c.auth.type === f.authType;
            const props = {
              id: `c-auth-${k}`,
              value: f.auth[k] ?? '',
              autoComplete: 'off',
              'aria-describedby': `c-auth-${k}-hint`,
              onInput: (e: Event) => set({ auth: { ...f.auth, [k]: (e.currentTarget as HTMLInputElement).value } }),
            };
            return (
              <Field
                key={k}
                label={`${k} (secret)`}
                id={`c-auth-${k}`}
                hint={isSet ? 'Set. Write-only: leave empty to keep it.' : 'Write-only: never shown again.'}
              >
                {k === 'headers' ? <textarea rows={2} placeholder="X-Api-Key: …" {...props} /> : <input type="password" {...props} />}
              </Field>
            );
          })}
          <Field
            label="Inbound secret (secret)"
            id="c-inbound"
            hint={`${c?.secretsSet.includes('inboundSecret') ? 'Set. Write-only: leave empty to keep it. ' : 'Write-only: never shown again once saved. '}It checks the signature of callbacks the external system sends by its reference (whsec_…); give it the same secret.`}
          >
            {inboundShown ? <input type="text" {...inboundProps} /> : <input type="password" {...inboundProps} />}
            <button
              type="button"
              onClick={() => {
                // Shown until saved, so it can be copied to the external system.
                setInboundShown(true);
                set({ inboundSecret: newInboundSecret() });
              }}
            >
              Generate a secret
            </button>
          </Field>
          <Field label="Default headers (one per line, Name: value)" id="c-headers">
            <textarea id="c-headers" rows={2} value={f.headers} onInput={(e) => set({ headers: e.currentTarget.value })} />
          </Field>
          <fieldset>
            <legend>Rate limits</legend>
            {f.rateLimits.map((r, i) => (
              <div class="row" key={i}>
                <Field label="Calls" id={`c-rl-${i}-limit`}>
                  <input
                    id={`c-rl-${i}-limit`}
                    inputMode="numeric"
                    value={r.limit}
                    onInput={(e) => set({ rateLimits: f.rateLimits.map((x, j) => (j === i ? { ...x, limit: e.currentTarget.value } : x)) })}
                  />
                </Field>
                <Field label="per" id={`c-rl-${i}-per`}>
                  <input
                    id={`c-rl-${i}-per`}
                    value={r.per}
                    onInput={(e) => set({ rateLimits: f.rateLimits.map((x, j) => (j === i ? { ...x, per: e.currentTarget.value } : x)) })}
                  />
                </Field>
                <button type="button" class="link" onClick={() => set({ rateLimits: f.rateLimits.filter((_, j) => j !== i) })}>
                  Remove
                </button>
              </div>
            ))}
            <button type="button" onClick={() => set({ rateLimits: [...f.rateLimits, { limit: '100', per: '1m' }] })}>
              Add a rate limit
            </button>
          </fieldset>
          <Field label="Most attempts in flight" id="c-conc">
            <input
              id="c-conc"
              inputMode="numeric"
              value={f.maxConcurrency}
              onInput={(e) => set({ maxConcurrency: e.currentTarget.value })}
            />
          </Field>
          <Field label="Attempt timeout" id="c-timeout">
            <input id="c-timeout" value={f.timeout} onInput={(e) => set({ timeout: e.currentTarget.value })} />
          </Field>
          <p class="buttons">
            <button type="submit">{isNew ? 'Create connector' : 'Save'}</button>
            {c && (
              <button type="button" disabled={testing} onClick={() => void testConnection()}>
                Test connection
              </button>
            )}
          </p>
          {saved && <p role="status">{saved}</p>}
        </fieldset>
      </form>
      <ErrorBox error={error} />
      {test !== null && (
        <section aria-label="Test connection result">
          <h2>Test connection</h2>
          <ConnectionResult result={test as ConnectionTest} />
        </section>
      )}
    </main>
  );
}
