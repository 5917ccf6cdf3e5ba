// Helpers of the process scenarios: waiting for a case to reach a state, and reading its steps.

import type { Harness } from './harness.ts';

/** Reads the case until `pred` holds (the case worker moves it on in the background). */
export async function waitForCase(h: Harness, id: string, pred: (c: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await h.api('GET', `/v1/cases/${id}`);
    if (r.status !== 200) throw new Error(`GET case ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    if (pred(r.body)) return r.body;
    if (Date.now() > deadline)
      throw new Error(`case ${id} did not reach the expected state in ${timeoutMs} ms; it is ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const stepOf = (c: any, name: string): any => c.steps.find((s: any) => s.name === name);
export const actionOf = (c: any, step: string): string => {
  const id = stepOf(c, step)?.actionId;
  if (!id) throw new Error(`step ${step} has no action yet: ${JSON.stringify(c.steps)}`);
  return id;
};

/** The user olga and an operator key of hers (`olga-laptop`): the person who works cases in these tests. */
export async function operatorOlga(h: Harness): Promise<string> {
  const u = await h.api('POST', '/v1/users', { name: 'olga' });
  if (u.status !== 201) throw new Error(`user olga: ${u.status} ${JSON.stringify(u.body)}`);
  return (await h.api('POST', '/v1/api-keys', { name: 'olga-laptop', roles: ['operator'], user: 'olga' })).body.key;
}
