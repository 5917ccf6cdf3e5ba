// `callout export` then `callout import` on each store, with every kind of resource and every kind of
// connector auth: the second store exports what the first did, and the same file again changes nothing.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { importReport } from './helpers/import-report.ts';
import { postgresNodeEnv, sqliteNodeEnv, type NodeEnv } from './helpers/node-env.ts';
import { cli } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'callout-round-trip-'));
const envs: NodeEnv[] = [];
afterAll(async () => {
  await Promise.all(envs.map((e) => e.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = `
version: 1
connectors:
  - name: c-none
    baseUrl: https://none.example.com
    auth: { type: none }
    headers: { X-Tenant: acme }
    rateLimits: [{ limit: 100, per: 1m }]
    maxConcurrency: 3
    timeout: 12s
  - name: c-basic
    baseUrl: https://basic.example.com
    auth: { type: basic, username: svc, password: { $env: CALLOUT_C_BASIC_PASSWORD } }
  - name: c-bearer
    baseUrl: https://bearer.example.com
    auth: { type: bearer, token: { $env: CALLOUT_C_BEARER_TOKEN } }
  - name: c-header
    baseUrl: https://header.example.com
    auth: { type: header, headers: { X-Api-Key: { $env: CALLOUT_C_HEADER_HEADER_X_API_KEY } } }
  - name: c-cc
    baseUrl: https://cc.example.com
    auth:
      type: oauth2_client_credentials
      tokenUrl: https://idp.example.com/token
      clientId: cid
      clientSecret: { $env: CALLOUT_C_CC_CLIENTSECRET }
      scope: a b
      audience: aud
      clientAuth: basic
  - name: c-rt
    baseUrl: https://rt.example.com
    auth:
      type: oauth2_refresh_token
      tokenUrl: https://idp.example.com/token
      clientId: cid
      clientSecret: { $env: CALLOUT_C_RT_CLIENTSECRET }
      refreshToken: { $env: CALLOUT_C_RT_REFRESHTOKEN }
  - name: c-public
    baseUrl: https://public.example.com
    auth:
      type: oauth2_refresh_token
      tokenUrl: https://idp.example.com/token
      clientId: public-app
      refreshToken: { $env: CALLOUT_C_PUBLIC_REFRESHTOKEN }
actionTypes:
  - name: open-ticket
    connector: c-basic
    method: PUT
    path: /tickets/{{ Queue }}
    headers: { X-Request: "{{ $actionId }}" }
    body: { format: json, template: '{"title": "{{ Title }}", "priority": "{{ Priority }}"}' }
    fields: { Priority: { type: integer } }
    completion: { mode: callback, timeout: 4h }
    retry: { maxRetries: 5, interval: 30s, backoff: exponential, maxInterval: 1h }
users:
  - { name: alice, displayName: Alice, email: alice@example.com }
queues:
  - { name: desk, description: The desk, members: [alice], allocation: round_robin }
processes:
  - name: onboard
    steps:
      - { name: approve, kind: manual, queue: desk }
      - { name: ticket, kind: external, actionType: open-ticket, input: '{ "Queue": "q", "Title": case.who, "Priority": 2 }' }
webhooks:
  - { url: https://hooks.example.com/callout, events: ["*"], description: receiver }
schedules:
  - name: daily-ticket
    cron: 0 8 * * 1-5
    timezone: Europe/Amsterdam
    launch: { actionType: open-ticket, input: { Queue: q, Title: t, Priority: 1 } }
    paused: true
  - { name: daily-case, cron: '@daily', launch: { process: onboard, title: T, data: { who: x } } }
`;

const SECRETS = {
  CALLOUT_C_BASIC_PASSWORD: 'pw',
  CALLOUT_C_BEARER_TOKEN: 'tok',
  CALLOUT_C_HEADER_HEADER_X_API_KEY: 'key',
  CALLOUT_C_CC_CLIENTSECRET: 'cs',
  CALLOUT_C_RT_CLIENTSECRET: 'cs2',
  CALLOUT_C_RT_REFRESHTOKEN: 'rt',
  CALLOUT_C_PUBLIC_REFRESHTOKEN: 'rt-public',
};

describe.each([
  ['sqlite', sqliteNodeEnv],
  ['postgres', postgresNodeEnv],
])('export then import on %s', (kind, makeEnv) => {
  it('gives the same configuration, and importing it again changes nothing', async () => {
    const [first, second] = [await makeEnv(`rt-a-${kind}`), await makeEnv(`rt-b-${kind}`)];
    envs.push(first, second);
    const file = join(dir, `${kind}-config.yaml`);
    writeFileSync(file, CONFIG);
    const created = cli(['import', file], { ...first.env, ...SECRETS });
    expect(created.status, created.stderr).toBe(0);
    const exported = cli(['export'], first.env);
    expect(exported.status, exported.stderr).toBe(0);
    const doc = parse(exported.stdout);
    // A public client (no client secret) is exported without one: there is no value to give its variable.
    expect(doc.connectors.find((c: { name: string }) => c.name === 'c-public').auth).toEqual({
      type: 'oauth2_refresh_token',
      tokenUrl: 'https://idp.example.com/token',
      clientId: 'public-app',
      refreshToken: { $env: 'CALLOUT_C_PUBLIC_REFRESHTOKEN' },
    });
    const backup = join(dir, `${kind}-export.yaml`);
    writeFileSync(backup, exported.stdout);

    const restored = cli(['import', backup], { ...second.env, ...SECRETS });
    expect(restored.status, restored.stderr).toBe(0);
    const again = cli(['export'], second.env);
    expect(parse(again.stdout)).toEqual(doc);
    // The same file again, on each store: nothing is written, nothing reported changed.
    for (const env of [first.env, second.env]) {
      const repeat = cli(['import', backup], { ...env, ...SECRETS });
      expect(repeat.status, repeat.stderr).toBe(0);
      const report = JSON.parse(repeat.stdout) as Record<string, { unchanged: string[] }>;
      expect(report).toEqual(
        importReport({
          connectors: { unchanged: ['c-basic', 'c-bearer', 'c-cc', 'c-header', 'c-none', 'c-public', 'c-rt'] },
          actionTypes: { unchanged: ['open-ticket'] },
          users: { unchanged: ['alice'] },
          queues: { unchanged: ['desk'] },
          processes: { unchanged: ['onboard'] },
          webhooks: { unchanged: [expect.any(String)] },
          schedules: { unchanged: ['daily-case', 'daily-ticket'] },
        }),
      );
    }
  }, 120_000);
});
