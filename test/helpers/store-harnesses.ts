// A harness on either store: the SQLite file of its data folder, or a fresh schema on the real
// PostgreSQL (dropped on close). `sql` runs statements on the store directly, for a test that puts
// back what an older version stored or takes a table away.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/store.ts';
import { createLogger } from '../../src/logger.ts';
import { actionType, connector, startHarness, type Harness } from './harness.ts';
import { TEST_DATABASE_URL, dropSchema, freshSchema, withAdmin } from './pg.ts';

export type HarnessOptions = NonNullable<Parameters<typeof startHarness>[0]>;

export interface StoreHarnessOptions extends HarnessOptions {
  /** The PostgreSQL store's settings beyond where it is (pool size, the notification bound). */
  postgres?: Partial<Omit<PostgresStoreOptions, 'connectionString' | 'schema'>>;
}

export interface StoreHarnessed extends Harness {
  /** Runs SQL on the store itself, its tables unqualified. */
  sql(text: string): Promise<void>;
}

export interface StoreHarness {
  name: 'SQLite' | 'PostgreSQL';
  open(opts?: StoreHarnessOptions): Promise<StoreHarnessed>;
}

export const storeHarnesses: StoreHarness[] = [
  {
    name: 'SQLite',
    async open({ postgres: _, ...opts } = {}) {
      const h = await startHarness(opts);
      const sql = async (text: string): Promise<void> => {
        // A second connection to the file: it waits for the running store's writes, then changes what it is told.
        const db = new Database(join(h.dataDir, 'callout.db'));
        try {
          db.pragma('busy_timeout = 5000');
          db.exec(text);
        } finally {
          db.close();
        }
      };
      return { ...h, sql };
    },
  },
  {
    name: 'PostgreSQL',
    async open({ postgres, ...opts } = {}) {
      const schema = freshSchema('harness');
      const store = new PostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema,
        logger: createLogger({ level: 'silent' }),
        ...postgres,
      });
      // The schema goes whatever fails: a harness that did not start, or one whose close threw.
      const h = await startHarness({ ...opts, callout: { store, secretKey: randomBytes(32).toString('hex'), ...opts.callout } }).catch(
        async (err: unknown) => {
          await dropSchema(schema);
          throw err;
        },
      );
      const close = h.close.bind(h);
      return {
        ...h,
        close: async () => {
          try {
            await close();
          } finally {
            await dropSchema(schema);
          }
        },
        sql: (text) => withAdmin(async (a) => void (await a.query(`SET search_path TO "${schema}"; ${text}`))),
      };
    },
  },
];

/**
 * Engine nodes on one fresh PostgreSQL schema (one secret key between them), each its own harness;
 * `close` closes them all and drops the schema.
 */
export async function postgresNodes(count: number, opts: HarnessOptions = {}): Promise<{ nodes: Harness[]; close(): Promise<void> }> {
  const schema = freshSchema('nodes');
  const secretKey = randomBytes(32).toString('hex');
  const nodes: Harness[] = [];
  const close = async (): Promise<void> => {
    try {
      for (const n of nodes) await n.close();
    } finally {
      await dropSchema(schema);
    }
  };
  try {
    for (let i = 0; i < count; i++) {
      const store = new PostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger: createLogger({ level: 'silent' }) });
      nodes.push(await startHarness({ ...opts, callout: { store, secretKey, ...opts.callout } }));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, close };
}

/**
 * The input fields of the action types a queue integrated with a provider launches (SPEC 10.1):
 * the task, its title, the note and the provider's reference once known, and the case's data.
 */
export const PROVIDER_FIELDS = {
  TaskId: { type: 'string' },
  Title: { type: 'string' },
  Note: { type: 'string', required: false },
  ExternalReference: { type: 'string', required: false },
  CaseData: { type: 'json', required: false },
};

/**
 * A harness whose mock is also an integrated queue's provider: the connectors `vendor` and `provider`
 * (no auth) and the Submit Request action type `desk-submit` (the mock's /provider/submit, which keeps
 * the task and answers nothing more), for queues to name as `onAssign`.
 */
export async function openWithProvider(backend: StoreHarness): Promise<StoreHarnessed> {
  const h = await backend.open({ mock: { keepBodies: true, callbackDelayMs: 40 } });
  await setUpProvider(h);
  return h;
}

/** On a harness already open (one of several nodes): what openWithProvider sets up. */
export async function setUpProvider(h: Harness): Promise<void> {
  await connector(h, { auth: { type: 'none' } });
  await connector(h, { name: 'provider', baseUrl: h.mock.url, auth: { type: 'none' } });
  await actionType(h, {
    name: 'desk-submit',
    connector: 'provider',
    path: '/provider/submit',
    fields: PROVIDER_FIELDS,
    body: { format: 'json', template: '{"callbackUrl": "{{ $callbackUrl }}", "task": "{{ TaskId }}", "script": "none"}' },
  });
}

/** The Submit Requests the mock provider of openWithProvider received for one task. */
export const submitsOf = (h: Harness, taskId: string) =>
  h.mock.log.filter((e) => e.path === '/provider/submit' && (e.body as { task?: string } | null)?.task === taskId);

/** Each store on one node, and two PostgreSQL nodes sharing a database: where a burst of one request is tried. */
export const nodeSetups: Array<{ name: string; open: () => Promise<{ nodes: Harness[]; close: () => Promise<void> }> }> = [
  ...storeHarnesses.map((b) => ({
    name: b.name,
    open: async () => {
      const h = await b.open();
      return { nodes: [h], close: () => h.close() };
    },
  })),
  { name: 'two PostgreSQL nodes', open: () => postgresNodes(2) },
];
