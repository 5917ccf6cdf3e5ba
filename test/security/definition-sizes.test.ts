// Definitions a builder saves are compiled where the API runs: their size is bounded before any of it
// is compiled, so one request cannot hold the event loop for seconds (an outside probe held it 34 s
// with 50,000 fields and 29 s with a process of long expression paths). Each refusal names its field
// and saves nothing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_FIELDS } from '../../src/templates/fields.ts';
import { MAX_PATH_STEPS } from '../../src/expression-limits.ts';
import { connector, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await connector(h);
});
afterAll(async () => h?.close());

const fieldsOf = (n: number): Record<string, { type: string; required: boolean }> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, { type: 'string', required: false }]));

async function refused(path: string, body: unknown): Promise<Array<{ field: string; message: string }>> {
  const r = await h.api('POST', path, body);
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(422);
  return r.body.errors;
}

it(`an action type takes at most ${MAX_FIELDS} fields, declared or found in its templates, and a body template of 100,000 characters`, async () => {
  const base = { connector: 'vendor', path: '/ok' };
  expect((await h.api('POST', '/v1/action-types', { ...base, name: 'wide', fields: fieldsOf(MAX_FIELDS) })).status).toBe(201);
  const message = `has ${MAX_FIELDS + 1} fields (tokens and declarations); an action type takes at most ${MAX_FIELDS}`;
  expect(await refused('/v1/action-types', { ...base, name: 'wider', fields: fieldsOf(MAX_FIELDS + 1) })).toEqual([
    { field: 'fields', message: expect.stringContaining(message) },
  ]);
  // Tokens count as fields too: 400 declared and 101 more in the body.
  const tokens = Array.from({ length: 101 }, (_, i) => `"t${i}": "{{ T${i} }}"`).join(', ');
  const mixed = { ...base, name: 'mixed', fields: fieldsOf(400), body: { format: 'json', template: `{${tokens}}` } };
  expect((await refused('/v1/action-types', mixed))[0]!.field).toBe('fields');
  expect((await refused('/v1/action-types/preview-fields', { path: '/ok', fields: fieldsOf(50_000) }))[0]!.field).toBe('fields');
  const long = { ...base, name: 'long', body: { format: 'json', template: `{"a": "${'x'.repeat(100_000)}"}` } };
  expect(await refused('/v1/action-types', long)).toEqual([{ field: 'body.template', message: 'is longer than 100000 characters' }]);
  const names = (await h.api('GET', '/v1/action-types')).body.items.map((t: { name: string }) => t.name);
  expect(names).toEqual(['wide']);
});

it(`an expression holds at most ${MAX_PATH_STEPS} dots, and a process at most 100,000 characters of expressions`, async () => {
  const path = 'a.'.repeat(MAX_PATH_STEPS + 1) + 'a';
  const output = await refused('/v1/action-types', { connector: 'vendor', name: 'deep', path: '/ok', response: { output: path } });
  expect(output).toEqual([{ field: 'response.output', message: expect.stringContaining(`at most ${MAX_PATH_STEPS}`) }]);
  const step = (i: number, expression: string) => ({ name: `s${i}`, kind: 'map', expression });
  expect(await refused('/v1/processes', { name: 'deep', steps: [step(0, path)] })).toEqual([
    { field: 'steps[0].expression', message: expect.stringContaining(`at most ${MAX_PATH_STEPS}`) },
  ]);
  // Eleven steps of 9,500 characters each (an object of many keys): refused as a whole before any is compiled.
  const wide = `{${Array.from({ length: 700 }, (_, i) => `"k${i}": 1`).join(', ')}}`.padEnd(9_500, ' ');
  const many = Array.from({ length: 11 }, (_, i) => step(i, wide));
  expect(await refused('/v1/processes', { name: 'many', steps: many })).toEqual([
    { field: 'steps', message: 'hold 104500 characters of expressions; a process may hold at most 100000' },
  ]);
  expect((await h.api('POST', '/v1/processes', { name: 'fits', steps: many.slice(0, 10) })).status).toBe(201);
  expect((await h.api('GET', '/v1/processes')).body.items.map((p: { name: string }) => p.name)).toEqual(['fits']);
});

it('the bounds hold where a definition is saved: one stored before them still loads and runs', async () => {
  const { compileActionType, compileActionTypeSpec } = await import('../../src/action-types/action-type.ts');
  const { evaluateExpression } = await import('../../src/processes/expressions.ts');
  const small = compileActionTypeSpec({ name: 'old', connector: 'c', path: '/ok' }, 'conn-id');
  const path = 'a.'.repeat(MAX_PATH_STEPS + 1) + 'a';
  const stored = { ...small, fields: fieldsOf(MAX_FIELDS + 100) as typeof small.fields, response: { ...small.response, output: path } };
  const compiled = compileActionType('type-id', 1, stored);
  expect(Object.keys(compiled.templates.fields)).toHaveLength(MAX_FIELDS + 100);
  expect(compiled.mapping.output?.source).toBe(path);
  // A process expression stored before the bound still evaluates.
  expect(await evaluateExpression(path, {})).toBeNull();
});
