// A cURL line imported into the action-type form: what it fills and what the builder is told. Loaded
// on demand (a dynamic import from action-type-curl.tsx), so it and the parser stay out of the bundle
// every page load carries; it imports nothing the rest of the UI imports, so it splits off whole.

import { parseCurl, pathUnder, type CurlRequest } from '../curl.ts';
import type { Form } from './action-type-form.ts';

export { CurlError } from '../curl.ts';

export interface Connector {
  id: string;
  name: string;
  baseUrl: string;
}

export interface Summary {
  filled: string;
  warnings: string[];
}

/**
 * The form with what a cURL line says filled in: the path only when the URL is under the connector's base
 * URL (`path`), the method only when it is one an action type sends; a body-less line keeps the template.
 */
export function withCurl(f: Form, r: CurlRequest, path: string | undefined): Form {
  return {
    ...f,
    method: r.method ?? f.method,
    path: path ?? f.path,
    headers: r.headers.map(([k, v]) => `${k}: ${v}`).join('\n'),
    bodyFormat: r.body.format,
    template: r.body.format === 'none' ? f.template : r.body.template,
  };
}

/** Reads `line` into `f` under its connector; throws CurlError when the line cannot be read. Never changes the connector. */
export function importCurl(line: string, f: Form, connectors: Connector[]): { form: Form; summary: Summary } {
  const r = parseCurl(line);
  const base = connectors.find((c) => c.id === f.connector);
  const path = base && pathUnder(r.url, base.baseUrl);
  const warnings: string[] = [];
  if (path === undefined) {
    const other = connectors.find((c) => pathUnder(r.url, c.baseUrl) !== undefined);
    warnings.push(
      `The URL ${r.url.split('?')[0]} does not match ${base ? `the connector's base URL ${base.baseUrl}` : 'a chosen connector'}: the path was left for you to choose` +
        (other ? `, or choose connector ${other.name}, whose base URL it is under, and import again.` : '.'),
    );
  }
  if (r.leftOut.length)
    warnings.push(
      `Left out: ${r.leftOut.join(', ')}. Credentials belong in the connector's authentication, the only place secrets are stored encrypted.`,
    );
  warnings.push(...r.warnings);
  if (r.ignored.length) warnings.push(`Ignored, as they change nothing Callout sends: ${r.ignored.join(', ')}.`);
  const filled = [
    r.method && `method ${r.method}`,
    path !== undefined && `path ${path || '(the base URL itself)'}`,
    `headers ${r.headers.map(([k]) => k).join(', ') || 'none'}`,
    `body ${r.body.format === 'json' ? 'JSON' : r.body.format}`,
  ].filter(Boolean);
  return {
    form: withCurl(f, r, path),
    summary: { filled: `Filled ${filled.join('; ')}. Nothing is saved until you save the action type.`, warnings },
  };
}
