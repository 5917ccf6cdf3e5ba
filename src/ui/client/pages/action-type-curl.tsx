// Builder: "Import cURL" on the action-type form. Fills method, path, headers and body from a pasted
// line and says what it filled and what it left out; nothing is saved until the form's own Save.

import { useState } from 'preact/hooks';
import { Field } from '../components.tsx';
import type { Form } from './action-type-form.ts';
import type { Connector, Summary } from './curl-import.ts';

export function CurlImport(props: { form: Form; connectors: Connector[]; onImport: (f: Form) => void }) {
  const [line, setLine] = useState('');
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState('');
  const run = async (): Promise<void> => {
    let curl: typeof import('./curl-import.ts');
    try {
      curl = await import('./curl-import.ts');
    } catch {
      setError('The importer could not be loaded: reload the page and try again.');
      return;
    }
    try {
      const r = curl.importCurl(line, props.form, props.connectors);
      props.onImport(r.form);
      setSummary(r.summary);
      setError('');
      setLine(''); // the line may hold secrets: not kept once read
    } catch (e) {
      if (!(e instanceof curl.CurlError)) throw e;
      setError(e.message);
      setSummary(null);
    }
  };
  return (
    <details class="curl">
      <summary>Import cURL</summary>
      <Field label="cURL command line" id="t-curl" hint="As copied from browser devtools, Postman or API docs (bash quoting).">
        <textarea
          id="t-curl"
          class="code"
          rows={4}
          spellcheck={false}
          value={line}
          onInput={(e) => setLine(e.currentTarget.value)}
          aria-describedby="t-curl-hint"
        />
      </Field>
      <p class="buttons">
        <button type="button" onClick={() => void run()}>
          Import
        </button>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div role="status" data-testid="curl-summary">
        {summary && (
          <>
            <p>{summary.filled}</p>
            {summary.warnings.length > 0 && (
              <ul class="warn">
                {summary.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </details>
  );
}
