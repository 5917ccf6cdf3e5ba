// Review of issue 9: configuration bodies nested thousands deep overflowed the stack inside the
// handler (a copy of an imported file, a JSON template checked or parsed) and answered 500. Every
// body is now refused with a 4xx problem naming what is wrong, and nothing is written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
  await h.api('POST', '/v1/action-types', { name: 'plain', connector: 'vendor', method: 'POST', path: '/p' });
});
afterAll(async () => h.close());

const N = 100_000;
const deepArray = `${'['.repeat(N)}${']'.repeat(N)}`;
const deepObject = `${'{"a":'.repeat(N)}1${'}'.repeat(N)}`;
const type = (extra: string): string => `{"name":"deep","connector":"vendor","method":"POST","path":"/x",${extra}}`;

const cases: Array<[string, string, string, string, string?]> = [
  [
    'an imported connector field',
    'POST',
    '/v1/config/import',
    `{"connectors":[{"name":"d","baseUrl":"https://a.example.com","description":${deepArray}}]}`,
  ],
  ['an imported action type', 'POST', '/v1/config/import', `{"connectors":[],"actionTypes":[${deepObject}]}`],
  ['a JSON template given as an object', 'POST', '/v1/action-types', type(`"body":{"format":"json","template":${deepObject}}`)],
  ['a JSON template text', 'POST', '/v1/action-types', type(`"body":{"format":"json","template":"${'['.repeat(N)}"}`)],
  [
    'a JSON template text, closed',
    'POST',
    '/v1/action-types',
    type(`"body":{"format":"json","template":"${'['.repeat(5000)}${']'.repeat(5000)}"}`),
  ],
  ['an action type patch', 'PATCH', '/v1/action-types/plain', `{"body":{"format":"json","template":${deepArray}}}`],
  ['a connector', 'POST', '/v1/connectors', `{"name":"d","baseUrl":"https://a.example.com","auth":${deepObject}}`],
  ['a test action', 'POST', '/v1/action-types/plain/test', `{"input":${deepObject}}`],
  ['a case', 'POST', '/v1/cases', `{"data":${deepObject}}`],
  ['an operator completion', 'POST', '/v1/actions/x/complete', `{"note":${deepArray}}`],
  ['a YAML import', 'POST', '/v1/config/import', `connectors: ${'['.repeat(3000)}${']'.repeat(3000)}`, 'application/yaml'],
];

describe('a body nested 100,000 deep', () => {
  it.each(cases)('in %s is a 4xx problem, never 500', async (_what, method, path, body, type = 'application/json') => {
    const r = await h.api(method, path, body, { 'content-type': type });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.headers['content-type']).toContain('application/problem+json');
  });

  it('writes nothing, and the server answers the next request', async () => {
    expect((await h.api('GET', '/v1/connectors/d')).status).toBe(404);
    expect((await h.api('GET', '/v1/action-types/deep')).status).toBe(404);
    expect((await h.api('GET', '/health')).status).toBe(200);
  });
});
