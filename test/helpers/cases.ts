// Helpers of the process scenarios: a harness on either store, and waiting for a case to reach a state.

import { randomBytes } from 'node:crypto';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { startHarness, type Harness } from './harness.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema } from './pg.ts';

export interface StoreHarness {
  name: string;
  open(): Promise<Harness>;
}

export const storeHarnesses: StoreHarness[] = [
  { name: 'SQLite', open: () => startHarness() },
  {
    name: 'PostgreSQL',
    async open() {
      const schema = freshSchema('cases');
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
      const h = await startHarness({ callout: { store, secretKey: randomBytes(32).toString('hex') } });
      const close = h.close.bind(h);
      return { ...h, close: async () => (await close(), await dropSchema(schema)) };
    },
  },
];

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
