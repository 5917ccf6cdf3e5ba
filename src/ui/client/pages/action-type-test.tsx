// Builder: 'Test action' on a saved action type: the exact request rendered (or sent once) from
// sample values, as HTTP text, and a launch with the same values.

import { useState } from 'preact/hooks';
import { api, can, type Session } from '../api.ts';
import { ErrorBox, Field } from '../components.tsx';
import { inputValue, type ActionType } from './action-type-form.ts';
import { useOneAtATime } from '../form-request.ts';

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

export function TestPanel({ t, session }: { t: ActionType; session: Session }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<unknown>(null);
  const [launched, setLaunched] = useState<string>('');
  const [error, setError] = useState<unknown>(null);
  const input = (): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(values)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, inputValue(t.parsedFields[k]?.type ?? 'string', v)]),
    );
  // One request at a time, the buttons disabled meanwhile: a double click on "Send once" sent twice,
  // and on "Launch action" launched two real actions.
  const [busy, once] = useOneAtATime();
  const run = (send: boolean): Promise<unknown> =>
    once(async () => {
      try {
        setResult(await api('POST', `/v1/action-types/${t.id}/test`, { input: input(), send }));
        setError(null);
      } catch (e) {
        setError(e);
      }
    });
  const launch = (): Promise<unknown> =>
    once(async () => {
      try {
        const a = await api<{ id: string }>('POST', '/v1/actions', { actionType: t.id, input: input() });
        setLaunched(a.id);
        setError(null);
      } catch (e) {
        setError(e);
      }
    });
  return (
    <section aria-label="Test action" class="panel">
      <h2>Test action</h2>
      {Object.entries(t.parsedFields).map(([k, s]) => (
        <Field key={k} label={`${k} (${s.type}${s.required ? '' : ', optional'})`} id={`test-${k}`}>
          <input id={`test-${k}`} value={values[k] ?? ''} onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })} />
        </Field>
      ))}
      <p class="buttons">
        <button type="button" disabled={busy} onClick={() => void run(false)}>
          Render request
        </button>
        <button type="button" disabled={busy} onClick={() => void run(true)}>
          Send once
        </button>
        {can(session, 'launch') && (
          <button type="button" disabled={busy} onClick={() => void launch()}>
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
