// Configuration as files: download the export, import a YAML or JSON file.

import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Field } from '../components.tsx';
import { useFormRequest } from '../form-request.ts';

export function ConfigPage() {
  const [text, setText] = useState('');
  const [result, setResult] = useState<unknown>(null);
  const { error, busy, run } = useFormRequest();
  const load = async (e: Event): Promise<void> => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  const importIt = async (e: Event): Promise<void> => {
    e.preventDefault();
    // One import at a time: a second click while the first runs would send the file again.
    const json = text.trim().startsWith('{');
    const r = await run(() => api('POST', '/v1/config/import', text, json ? 'application/json' : 'application/yaml'));
    setResult(r ? r.value : null);
  };
  return (
    <main id="main">
      <h1 tabIndex={-1}>Configuration</h1>
      <h2>Export</h2>
      <p>
        Connectors, action types, users, queues, processes, webhooks and schedules; secrets are written as environment-variable references,
        never their values:{' '}
        <a href="/v1/config/export?format=yaml" download="callout-config.yaml">
          YAML
        </a>{' '}
        ·{' '}
        <a href="/v1/config/export?format=json" download="callout-config.json">
          JSON
        </a>
      </p>
      <h2>Import</h2>
      <form onSubmit={importIt} class="form">
        <Field label="File" id="cfg-file">
          <input id="cfg-file" type="file" accept=".yaml,.yml,.json" onChange={(e) => void load(e)} />
        </Field>
        <Field label="Or paste it here" id="cfg-text">
          <textarea id="cfg-text" class="code" rows={10} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={busy || !text.trim()}>
          Import
        </button>
      </form>
      <ErrorBox error={error} />
      {result !== null && <pre role="status">{JSON.stringify(result, null, 2)}</pre>}
    </main>
  );
}
