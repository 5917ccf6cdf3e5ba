// Attack on the builder's cURL import: whatever a pasted line holds, no credential reaches the form
// the builder saves (method, path, headers, body template).

import { describe, expect, it } from 'vitest';
import { parseCurl } from '../../src/ui/client/curl.ts';
import { importCurl } from '../../src/ui/client/pages/curl-import.ts';

const SECRET = 'sk_live_9f8e7d6c5b4a3210';
const connectors = [{ id: 'c1', name: 'desk', baseUrl: 'https://desk.example.com/api' }];
const form = {
  name: 'x',
  connector: 'c1',
  method: 'POST',
  path: '/',
  headers: '',
  bodyFormat: 'json',
  template: '',
} as unknown as Parameters<typeof importCurl>[1];

/** What Save would store from the imported form. */
const saved = (line: string): string => {
  const { form: f } = importCurl(line, form, connectors);
  return JSON.stringify({ method: f.method, path: f.path, headers: f.headers, template: f.template });
};

describe('cURL import never carries a credential into the action type', () => {
  it('a credential under a credential-named key that holds an object or a list is left out', () => {
    for (const body of [
      { credentials: { id: 'app', value: SECRET } },
      { api_keys: [SECRET] },
      { auth: ['bob', SECRET] },
      { outer: { tokens: [{ v: SECRET }] } },
    ]) {
      const line = `curl https://desk.example.com/api/t -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`;
      expect(saved(line), JSON.stringify(body)).not.toContain(SECRET);
      expect(parseCurl(line).leftOut.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
    // Tokens and other values stay as they were.
    const kept = parseCurl(`curl https://desk.example.com/api/t --json '{"auth":{"user":"{{ User }}"},"title":"t"}'`);
    expect(JSON.parse(kept.body.template)).toEqual({ auth: { user: '{{ User }}' }, title: 't' });
  });

  it('a JSON body that does not parse, holding a credential-named key, is not kept as typed', () => {
    for (const body of [
      `{"user": "bob", "password": "${SECRET}",}`,
      `{"client_secret": '${SECRET}'}`,
      `{"token": "${SECRET}" // note\n}`,
    ]) {
      const line = `curl https://desk.example.com/api/t -H 'Content-Type: application/json' --data-raw $'${body.replace(/'/g, "\\'")}'`;
      expect(saved(line), body).not.toContain(SECRET);
      expect(importCurl(line, form, connectors).summary.warnings.join(' ')).toMatch(/left out/i);
    }
    // Invalid JSON without a credential is kept for the builder to correct, as before.
    const plain = parseCurl(`curl https://desk.example.com/api/t --json '{"title": "t",}'`);
    expect(plain.body).toEqual({ format: 'json', template: '{"title": "t",}' });
  });

  it('held: headers, -u, cookies, URL userinfo, query and form credentials, and bearer values under any name', () => {
    for (const part of [
      `-H 'Authorization: Bearer ${SECRET}'`,
      `-H 'X-Custom: Bearer ${SECRET}'`,
      `-H 'Proxy-Authorization: Basic ${SECRET}'`,
      `-H 'X-Goog-Api-Key: ${SECRET}'`,
      `-HCookie:sid=${SECRET}`,
      `-u bob:${SECRET}`,
      `--user bob:${SECRET}`,
      `-b sid=${SECRET}`,
      `--oauth2-bearer ${SECRET}`,
      `'https://bob:${SECRET}@desk.example.com/api/t'`,
      `'https://desk.example.com/api/t?access_token=${SECRET}'`,
      `'https://desk.example.com/api/t?X-Amz-Signature=${SECRET}'`,
      `-d 'grant_type=password&password=${SECRET}'`,
      `--data-urlencode 'client_secret=${SECRET}'`,
      `-G -d 'api_key=${SECRET}'`,
      `--json '{"a":{"b":{"c":{"password":"${SECRET}"}}}}'`,
    ]) {
      const line = part.startsWith("'https") ? `curl ${part}` : `curl https://desk.example.com/api/t ${part}`;
      expect(saved(line), part).not.toContain(SECRET);
    }
  });
});
