// Round 46, outside review: configuration import (POST /v1/config/import, YAML and JSON; `callout import`)
// as a hostile or careless integrator. Each test asserts the correct behaviour; those not marked "holds"
// failed until the product was fixed, the others pin what held up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { keyWith } from '../ui/browser.ts';

let h: Harness;
const post = (type: string, body: Buffer | string, key = h.adminKey) =>
  h.api('POST', '/v1/config/import', body, { authorization: `Bearer ${key}`, 'content-type': type });

describe('configuration import under attack', () => {
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('a YAML file that is not UTF-8 (Latin-1) is refused with a 400, as every other body is, and creates no user', async () => {
    const r = await post('application/yaml', Buffer.from('users:\n  - name: mueller\n    displayName: Müller\n', 'latin1'));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/not UTF-8/);
    expect((await h.api('GET', '/v1/users/mueller')).status).toBe(404);
  });

  it('two keys of one map that become the same JSON key (1 and "1") are refused as a repeated key, not last-one-wins', async () => {
    const y = `connectors:\n  - name: dupk\n    baseUrl: ${h.mock.url}\n    auth: { type: none }\n    headers:\n      1: first\n      "1": second\n`;
    const r = await post('application/yaml', y);
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.errors)).toMatch(/repeated|unique|twice/);
    expect((await h.api('GET', '/v1/connectors')).body.items.map((c: { name: string }) => c.name)).not.toContain('dupk');
  });

  it('a JSON file with a section twice is refused, as the same text sent as YAML is (not last-one-wins)', async () => {
    const text = '{"users":[{"name":"zed"}],"users":[]}';
    const asYaml = await post('application/yaml', text);
    expect(asYaml.status).toBe(422);
    const asJson = await post('application/json', text);
    expect(asJson.status).toBe(422);
  });

  it('a schedule whose launch data holds __proto__ / constructor.prototype is refused from a YAML file, as POST /v1/schedules refuses it', async () => {
    expect((await h.api('POST', '/v1/processes', { name: 'pr', steps: [{ name: 'a', kind: 'manual', title: 'x' }] })).status).toBe(201);
    const api = await h.api(
      'POST',
      '/v1/schedules',
      '{"name":"viaapi","cron":"0 8 * * *","timezone":"UTC","launch":{"process":"pr","data":{"__proto__":{"isAdmin":true}}}}',
    );
    expect(api.status).toBe(400);
    const y =
      'schedules:\n  - name: sc\n    cron: "0 8 * * *"\n    timezone: UTC\n    launch:\n      process: pr\n      data:\n        __proto__: { isAdmin: true }\n        constructor: { prototype: { x: 1 } }\n';
    const r = await post('application/yaml', y);
    expect([400, 422]).toContain(r.status);
    expect((await h.api('GET', '/v1/schedules')).body.items.map((s: { name: string }) => s.name)).not.toContain('sc');
  });

  it('a builder file adding a header beside a kept secret header applies both (the stored value kept), and says it changed; moved elsewhere, the kept one must be given again', async () => {
    const c = await h.api('POST', '/v1/connectors', {
      name: 'hdr',
      baseUrl: h.mock.url,
      auth: { type: 'header', headers: { 'X-Api-Key': 'k-secret-1' } },
    });
    expect(c.status).toBe(201);
    const builder = await keyWith(h, 'b1', ['builder']);
    const file = (baseUrl: string) =>
      `connectors:\n  - name: hdr\n    baseUrl: ${baseUrl}\n    auth:\n      type: header\n      headers:\n        X-Api-Key: { $env: CALLOUT_HDR_HEADER_X_API_KEY }\n        X-Tenant-Secret: literal-value\n`;
    const r = await post('application/yaml', file(h.mock.url), builder);
    expect([r.status, r.body.connectors?.updated]).toEqual([200, ['hdr']]);
    const auth = (await h.callout.registry.connector(c.body.id)).spec.auth;
    expect(auth).toEqual({ type: 'header', headers: { 'X-Api-Key': 'k-secret-1', 'X-Tenant-Secret': 'literal-value' } });
    // Sent elsewhere now, the stored value is not carried there by a reference the builder cannot read.
    const moved = await post('application/yaml', file('http://127.0.0.2:9'), builder);
    expect(moved.status).toBe(422);
    expect(moved.body.errors).toContainEqual({
      field: 'connectors[0].auth.headers.X-Api-Key',
      message: expect.stringMatching(
        /^must be given again: it was entered for http:\/\/127\.0\.0\.1:\d+, and the connector now sends to http:\/\/127\.0\.0\.2:9$/,
      ),
    });
    expect((await h.callout.registry.connector(c.body.id)).spec.baseUrl).toBe(h.mock.url);
  });

  it('a 400 KB file whose aliases repeat one connector 99 times does not hold the event loop for seconds', async () => {
    const items = Array.from({ length: 200_000 }, () => 'x').join(',');
    const y =
      `connectors:\n  - &c\n    name: big\n    baseUrl: ${h.mock.url}\n    auth: { type: none }\n    junk: [${items}]\n` +
      Array.from({ length: 98 }, () => '  - *c\n').join('');
    expect(y.length).toBeLessThan(1024 * 1024);
    const r = await post('application/yaml', y);
    // Refused on the reader's thread, before any copy or check of the expanded file on the event loop
    // (which held it 8–9 s); the text itself is read as before.
    expect([r.status, r.body.errors]).toEqual([
      422,
      [{ field: '', message: `not valid YAML or JSON: its aliases expand it to more than ${Buffer.byteLength(y) + 10_000} values` }],
    ]);
    // A file that shares a setting by alias a few times is read as it always was.
    const shared = `connectors:\n  - name: shared-1\n    baseUrl: ${h.mock.url}\n    rateLimits: &r [{ limit: 2, per: 1s }]\n  - name: shared-2\n    baseUrl: ${h.mock.url}\n    rateLimits: *r\n`;
    expect((await post('application/yaml', shared)).body.connectors?.created).toEqual(['shared-1', 'shared-2']);
  }, 180_000);

  it('holds: a billion-laughs file is refused (422) by the alias limit', async () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      lol.push(
        `${name}: &${name} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    }
    const r = await post('application/yaml', lol.join('\n'));
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatch(/alias/i);
  });

  it('holds: __proto__ keys in YAML are refused as unknown settings, section or field, and change nothing', async () => {
    const base = `connectors:\n  - name: pc\n    baseUrl: ${h.mock.url}\n    auth: { type: none }\n`;
    for (const y of [
      '__proto__: { polluted: 1 }\nconnectors: []\n',
      `${base}    headers:\n      __proto__: { X-Evil: 1 }\n`,
      `${base}    __proto__: { baseUrl: "http://evil" }\n`,
      'users:\n  - name: pp\n    __proto__: { disabled: true }\n',
      'queues:\n  - name: pq\n    __proto__: { members: [x] }\n',
    ]) {
      const r = await post('application/yaml', y);
      expect(r.status, y).toBe(422);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await h.api('GET', '/v1/connectors')).body.items.map((c: { name: string }) => c.name)).not.toContain('pc');
  });

  it('holds: a builder cannot create users by import (422) and gets none of the environment', async () => {
    const builder = await keyWith(h, 'b2', ['builder']);
    const r = await post('application/yaml', 'users:\n  - name: sneaky\n', builder);
    expect(r.status).toBe(422);
    expect((await h.api('GET', '/v1/users/sneaky')).status).toBe(404);
  });
});

describe('callout import (CLI)', () => {
  it('a Latin-1 file is refused (non-zero exit, saying it is not UTF-8) and imports no user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r46-cli-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, Buffer.from('users:\n  - name: mueller\n    displayName: Müller\n', 'latin1'));
      const data = join(dir, 'data');
      const cli = (args: string[]) =>
        spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          env: { ...process.env, CALLOUT_DATA_DIR: data },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const r = cli(['import', file]);
      const exported = cli(['export']).stdout;
      expect(exported).not.toContain('\uFFFD');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/UTF-8/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
